import { compareToBaseline, makeBaseline } from '../../src/sweep/drift.js';
import type { CheckResult } from '../../src/sweep/result.js';
import { score } from '../../src/sweep/score.js';
import type { StateItem } from '../../src/sweep/state.js';
import { systemdQuote, timerUnits } from '../../src/sweep/timer.js';

const r = (key: string, status: CheckResult['status'], severity: CheckResult['severity'], actual = 'x', area: CheckResult['area'] = 'ssh'): CheckResult => ({
  id: key.split(':')[0]!,
  key,
  title: key,
  area,
  severity,
  status,
  expected: 'y',
  actual,
  evidence: 'e',
  remediation: 'r',
  source: 's',
  contentHash: `${status}/${actual}`,
});
const s = (key: string, hash: string, kind: StateItem['kind'] = 'port'): StateItem => ({ key, kind, contentHash: hash, summary: key, severity: 'medium' });

test('drift: new, changed, unchanged, resolved and state added / removed / changed', () => {
  const base = makeBaseline('h', [r('IR-SSH-001', 'fail', 'high'), r('IR-SSH-002', 'pass', 'high'), r('IR-DCK-001:old', 'fail', 'high')], [s('port:tcp:0.0.0.0:22', 'a'), s('port:tcp:0.0.0.0:8080', 'b'), s('account:x', 'c', 'account')]);
  const now = [r('IR-SSH-001', 'fail', 'high'), r('IR-SSH-002', 'fail', 'high', 'yes'), r('IR-DCK-001:new', 'fail', 'high')];
  const d = compareToBaseline(base, now, [s('port:tcp:0.0.0.0:22', 'a'), s('account:x', 'c2', 'account'), s('port:tcp:0.0.0.0:6379', 'd')]);
  expect(now.map((x) => x.drift)).toEqual(['unchanged', 'changed', 'new']);
  expect(d.checks).toEqual({ new: 1, changed: 1, unchanged: 1 });
  expect(d.resolved).toEqual(['IR-DCK-001:old']);
  expect(d.state.map((c) => [c.key, c.change, c.severity])).toEqual([
    ['account:x', 'changed', 'medium'],
    ['port:tcp:0.0.0.0:6379', 'added', 'medium'],
    ['port:tcp:0.0.0.0:8080', 'removed', 'info'],
  ]);
});

test('drift with --state: a kind either run left out is neither added nor removed', () => {
  const all = makeBaseline('h', [], [s('port:p', 'a'), s('persistence:cron:x', 'b', 'persistence'), s('unit:u', 'c', 'unit')]);
  // this run kept no persistence state (hygiene scans it in its own step)
  const d1 = compareToBaseline(all, [], [s('port:p', 'a'), s('unit:u', 'c2', 'unit')], ['port', 'unit']);
  expect(d1.state.map((c) => [c.key, c.change])).toEqual([['unit:u', 'changed']]);
  // a baseline without persistence, compared with a full run: the run's persistence is not "added"
  const some = makeBaseline('h', [], [s('port:p', 'a')], ['port', 'account', 'authorized-key', 'unit']);
  expect(some.stateKinds).toEqual(['port', 'account', 'authorized-key', 'unit']);
  const d2 = compareToBaseline(some, [], [s('port:p', 'a'), s('persistence:cron:y', 'd', 'persistence'), s('port:q', 'e')]);
  expect(d2.state.map((c) => [c.key, c.change])).toEqual([['port:q', 'added']]);
  // a baseline of every kind, compared with every kind: persistence counts as before
  const d3 = compareToBaseline(all, [], [s('port:p', 'a'), s('unit:u', 'c', 'unit')]);
  expect(d3.state.map((c) => [c.key, c.change])).toEqual([['persistence:cron:x', 'removed']]);
});

test('score: severity-weighted, not-applicable and errors left out', () => {
  const sc = score([r('a', 'pass', 'high'), r('b', 'fail', 'low'), r('c', 'na', 'critical'), r('d', 'error', 'high'), r('e', 'pass', 'medium', 'x', 'docker')]);
  expect(sc).toEqual({
    index: 83,
    earned: 5,
    possible: 6,
    byArea: { ssh: { pass: 1, fail: 1, na: 1, error: 1, index: 75 }, docker: { pass: 1, fail: 0, na: 0, error: 0, index: 100 } },
  });
});

test('timer units: ExecStart quoting, per-host names, state directory', () => {
  expect(systemdQuote('/opt/ir/bin/run.js')).toBe('/opt/ir/bin/run.js');
  expect(systemdQuote('100% $HOME')).toBe('"100%% $$HOME"');
  const [svc, timer] = timerUnits({ irArgv: ['/usr/bin/node', '/opt/ir/bin/run.js'], sweepArgs: ['--host', 'deploy@203.0.113.10'], hostLabel: 'deploy@203.0.113.10', onCalendar: '*-*-* 03:00' });
  expect(svc!.path).toBe('/etc/systemd/system/ir-sweep-deploy_203.0.113.10.service');
  expect(svc!.content).toContain('ExecStart=/usr/bin/node /opt/ir/bin/run.js sweep --host deploy@203.0.113.10 --out-dir /var/lib/ir/sweeps\n');
  expect(svc!.content).toContain('Documentation=file:///opt/ir/docs/sweep.md\n');
  expect(timer!.content).toContain('OnCalendar=*-*-* 03:00\n');
  expect(timer!.content).toContain('Unit=ir-sweep-deploy_203.0.113.10.service\n');
  const [own] = timerUnits({ irArgv: ['/n', '/r.js'], sweepArgs: [], hostLabel: 'local', outDir: '/srv/sweeps' });
  expect(own!.content).toContain('ReadWritePaths=/srv/sweeps\n');
});
