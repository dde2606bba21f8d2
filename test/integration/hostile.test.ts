/**
 * The hostile root (test/fixtures/hostile/build.sh: the example with every hostile case applied) through
 * every command that reads a host offline: nothing they print, in human output or --json, holds an
 * ESC, BEL or C1 byte; each says what it could not read; none crashes or leaves a partial file.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIr, type IrRun } from '../helpers/cli.js';
import { hostileRoot } from '../helpers/hostile.js';

const RAW_CONTROL = /[\x1b\x07\u0080-\u009f]/;

function clean(r: IrRun): void {
  expect(r.stdout).not.toMatch(RAW_CONTROL);
  expect(r.stderr).not.toMatch(RAW_CONTROL);
  expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  expect(r.stderr).not.toMatch(/unexpected error/);
}

const root = hostileRoot();
const out = mkdtempSync(join(tmpdir(), 'ir-hostile-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test.each([
  ['persistence-scan', ['persistence-scan', '--root', root, '--deep']],
  ['sweep', ['sweep', '--root', root]],
  ['auth-review', ['auth-review', '--root', root]],
  ['fail2ban', ['fail2ban', '--root', root]],
])('%s on the hostile root: no raw control byte in the human output or in --json', async (_name, argv) => {
  const human = await runIr(argv);
  clean(human);
  expect([0, 1, 2]).toContain(human.code);
  const json = await runIr([...argv, '--json']);
  clean(json);
  expect(json.code).toBe(human.code);
  expect(() => JSON.parse(json.stdout)).not.toThrow();
});

test('the scan shows the escape-named cron.d file escaped, under its real name', async () => {
  const r = await runIr(['persistence-scan', '--root', root]);
  expect(r.stdout).toContain('/etc/cron.d/x\\x1b[2J\\x1b]0;pwned\\x07\\x9b2J');
  const j = JSON.parse((await runIr(['persistence-scan', '--root', root, '--json'])).stdout) as { findings: { path?: string }[] };
  // --json carries the raw name (JSON-escaped), so a script can act on the real file
  expect(j.findings.some((f) => f.path === '/etc/cron.d/x\x1b[2J\x1b]0;pwned\x07\u009b2J')).toBe(true);
});

test('collect keeps the hostile files and lists them safely; no partial archive is left', async () => {
  const c = await runIr(['collect', '--root', root, '--out', out, '--json']);
  clean(c);
  expect([0, 1]).toContain(c.code);
  const archive = (JSON.parse(c.stdout) as { path: string }).path;
  const ls = await runIr(['evidence', 'ls', archive]);
  clean(ls);
  expect(ls.code).toBe(0);
  expect(ls.stdout).toContain('fs/etc/cron.d/x\\x1b[2J');
  const v = await runIr(['evidence', 'verify', archive]);
  clean(v);
  expect(v.code).toBe(0);
  expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);
});
