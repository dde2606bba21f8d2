import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostileRoot } from '../helpers/hostile.js';
import { runIr } from '../helpers/cli.js';

/**
 * Issue 15 §3 through the playbook and the report: the hostile root (test/fixtures/hostile, every case
 * applied; 60-report-escapes.sh puts escapes in a cron.d name, auth log user names and a key comment)
 * through `ir playbook run hygiene --root` and `ir playbook report`. No output may hold an ESC, a BEL
 * or a C1 control: each is shown escaped (\x1b…), once, when rendered.
 */
const RAW = /[\x1b\x07\x80-\x9f]/;
let work: string;
beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'ir-hostile-pb-'))));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function raw(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => RAW.test(l))
    .map((l) => JSON.stringify(l).slice(0, 200));
}

test('the hostile root through the hygiene playbook and its report: no ESC, BEL or C1 anywhere, every escape visible', async () => {
  const root = hostileRoot();
  const caseDir = join(work, 'cases', 'hostile');
  const r = await runIr(['playbook', 'run', 'hygiene', '--root', root, '--case', caseDir], { cwd: work, timeoutMs: 400_000 });
  // findings (1), or an error of another case's unit (2): never a crash, and the case is written
  expect([1, 2]).toContain(r.code);
  expect(r.stdout).toContain(`case ${caseDir}: read report.md first`);
  const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
  const html = readFileSync(join(caseDir, 'report.html'), 'utf8');
  const again = await runIr(['playbook', 'report', caseDir], { cwd: work });
  const json = await runIr(['playbook', 'report', caseDir, '--json'], { cwd: work });
  const findings = readFileSync(join(caseDir, 'findings.json'), 'utf8');
  for (const [name, text] of Object.entries({ 'run stdout': r.stdout, 'run stderr': r.stderr, 'report.md': md, 'report.html': html, 'report stdout': again.stdout, 'report --json': json.stdout, 'findings.json': findings })) {
    expect({ name, raw: raw(text) }).toEqual({ name, raw: [] });
  }
  // the escapes are shown, not dropped: the cron.d file keeps its real name, escaped
  expect(md).toContain('/etc/cron.d/report\\x1b');
  expect(html).toContain('report\\x1b[2J\\x1b]0;owned\\x07\\x9bJ');
  expect(md.split('\n')[0]).toMatch(/^Verdict: compromised\. deploy logged in with a password from 203\.0\.113\.(66|77) after \w+ failures/);
  // the invalid user's name, escaped, in the auth alerts and the timeline's tooltips
  expect(html).toContain('adm\\x1b]0;owned\\x07in\\x9b');
  // JSON carries the raw value, JSON-escaped (C1 as \u009b)
  expect(findings).toContain('report\\u001b[2J\\u001b]0;owned\\u0007\\u009bJ');
});
