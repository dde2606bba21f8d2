import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { collectState } from '../../src/sweep/state.js';

/**
 * The sweep's baseline reads authorized_keys whole, through the one authorized_keys parser: a key
 * after a megabyte of padding is in the state (it was cut at 1 MiB, and the file skipped, before), and
 * a line that is not a key is kept too, so a baseline sees it change.
 */
let dir: string;
let key: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-state-keys-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'home/deploy/.ssh'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'padded@example.com', '-f', join(dir, 'k')]);
  key = readFileSync(join(dir, 'k.pub'), 'utf8').trim();
  const padding = '# nothing to see here\n'.repeat(60_000); // 1.3 MB
  writeFileSync(join(root, 'home/deploy/.ssh/authorized_keys'), `${padding}${key}\nnot a key at all\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a key after 1.3 MB of comments and a line that is not a key are both in the state', async () => {
  const t = await ImageHost.open(join(dir, 'root'));
  const { items, errors } = await collectState(t, defaultPolicy(), { stateKinds: ['authorized-key'] });
  expect(errors).toEqual([]);
  const blob = key.split(' ')[1]!;
  expect(items.map((i) => i.summary)).toEqual(
    expect.arrayContaining([`deploy /home/deploy/.ssh/authorized_keys: ssh-ed25519 …${blob.slice(-12)} padded@example.com`, 'deploy /home/deploy/.ssh/authorized_keys: (not a key line) not a key at all']),
  );
  expect(items).toHaveLength(2);
});

test('a persistence scan that cannot run fully makes the state incomplete, never empty and "unchanged"', async () => {
  const t = await ImageHost.open(join(dir, 'root'));
  // every directory listing fails as an I/O error would (a disk going bad under the scan)
  const failing = new Proxy(t, {
    get(target, prop) {
      if (prop === 'list') return (p: string) => Promise.reject(Object.assign(new Error(`${p}: input/output error`), { code: 'EIO' }));
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const { errors } = await collectState(failing, defaultPolicy(), { stateKinds: ['persistence'] });
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^persistence: \d+ part\(s\) of the scan could not run/);
});
