import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '../../src/core/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'ir-pol-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('policy file', () => {
  it('defaults to the hardening guide: ports 22, 80, 443 and fail2ban maxretry 3', async () => {
    const p = await loadPolicy();
    expect(p.allowedPorts).toEqual([22, 80, 443]);
    expect(p.fail2ban.maxretry).toBe(3);
  });

  it('reads a valid file and applies --expect-ports', async () => {
    const f = file('ok.yaml', 'allowedPorts: [22, 8443]\nsuppressions:\n  - rule: ports.unexpected-listener\n    reason: lab box\n');
    expect((await loadPolicy(f)).allowedPorts).toEqual([22, 8443]);
    expect((await loadPolicy(f, { expectPorts: [22] })).allowedPorts).toEqual([22]);
  });

  it('names the file, the line and what was expected', async () => {
    const f = file('bad.yaml', 'allowedPorts:\n  - 22\n  - http\n');
    await expect(loadPolicy(f)).rejects.toThrow(new RegExp(`policy ${f}:3: allowedPorts.1: .*number`));
    const g = file('typo.yaml', 'allowedPort: [22]\n');
    await expect(loadPolicy(g)).rejects.toThrow(/Unrecognized key.*allowedPort/);
    const h = file('yaml.yaml', 'allowedPorts: [22\n');
    await expect(loadPolicy(h)).rejects.toThrow(/yaml.yaml:\d+:/);
    await expect(loadPolicy(join(dir, 'missing.yaml'))).rejects.toThrow(/no such file/);
    const s = file('sup.yaml', 'suppressions:\n  - rule: x\n');
    await expect(loadPolicy(s)).rejects.toThrow(/suppressions.0.reason/);
  });
});
