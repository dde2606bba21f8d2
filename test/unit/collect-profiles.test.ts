import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, profileNames } from '../../src/collect/profiles.js';
import { ITEMS } from '../../src/collect/registry.js';

describe('collection profiles (profiles/*.yaml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ir-profiles-'));

  it('ships triage and full; full holds every item, triage the volatile state and the persistence places', async () => {
    expect(await profileNames()).toEqual(['full', 'triage']);
    const full = await loadProfile('full');
    expect(full.items.map((i) => i.id)).toEqual(ITEMS.map((i) => i.id));
    const triage = await loadProfile('triage');
    expect(triage.items.map((i) => i.id)).toContain('live.ps');
    expect(triage.items.map((i) => i.id)).toContain('config.cron');
    expect(triage.items.map((i) => i.id)).not.toContain('config.etc');
  });

  it('takes a profile file of the user: globs, exclusions, registry order', async () => {
    const f = join(dir, 'mine.yaml');
    writeFileSync(f, 'name: mine\nitems:\n  - users.home\n  - live.*\n  - "!live.lastb"\n');
    const p = await loadProfile(f);
    expect(p.name).toBe('mine');
    const ids = p.items.map((i) => i.id);
    expect(ids.at(-1)).toBe('users.home');
    expect(ids).toContain('live.last');
    expect(ids).not.toContain('live.lastb');
  });

  it('names the file and line of an item that does not exist, and refuses unknown names and keys', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'name: bad\nitems:\n  - live.ps\n  - config.nope\n');
    await expect(loadProfile(f)).rejects.toThrow(/bad\.yaml:4: no collection item config\.nope/);
    await expect(loadProfile('nosuch')).rejects.toThrow(/--profile nosuch: no such profile/);
    const g = join(dir, 'typo.yaml');
    writeFileSync(g, 'name: t\nitem:\n  - live.ps\n');
    await expect(loadProfile(g)).rejects.toThrow(/typo\.yaml/);
  });
});
