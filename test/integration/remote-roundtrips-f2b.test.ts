import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { startLatencyProxy, tracedTrips, type LatencyProxy, type Trips } from '../helpers/latency-proxy.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * fail2ban, sweep and auth-review over `--host` in a few round trips (issue 16), counted rather than
 * timed: the ssh target counts its SSH channels, commands and sftp requests (IR_TRACE_ROUNDTRIPS),
 * here through bench/fleet-proxy.mjs adding round trip time. IR_DEBUG_BATCH=1 names every command
 * that opens a channel of its own (`exec …`) and every one a kept-open shell ran (`shell command …`);
 * a command the batch answered shows in neither. A return to a channel (and a sudo) per
 * fail2ban-client call, or to sftp reads of the configuration or the log, fails these bounds.
 */
const e = serviceEnv();
let work: string;
let proxy: LatencyProxy;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  trips: Trips;
  /** commands that opened a channel of their own, beside the host name, the batch and its shells */
  ownChannel: string[];
  /** commands a kept-open shell ran */
  onShell: string[];
}

/** Runs ir as deploy --sudo through the proxy (or directly), with its round trips and the debug lines of the batch. */
async function ir(args: string[], opts: { direct?: boolean; batch?: boolean } = {}): Promise<Run> {
  const trace = join(work, `trace-${Math.random().toString(36).slice(2)}.jsonl`);
  const port = opts.direct ? e.IR_SSH_PORT : String(proxy.port);
  const ssh = ['--host', `deploy@127.0.0.1:${port}`, '-i', e.IR_SSH_KEY!, '--known-hosts', proxy.knownHosts, '--sudo'];
  const r = await runIr([...args, ...ssh], { env: { IR_TRACE_ROUNDTRIPS: trace, IR_BATCH: opts.batch === false ? '0' : '1', IR_DEBUG_BATCH: '1' }, timeoutMs: 300_000 });
  const debug = r.stderr.split('\n');
  const ownChannel = debug
    .filter((l) => /^exec (?!done)/.test(l))
    .map((l) => l.slice(5))
    .filter((c) => c !== 'sh -s' && !c.startsWith('sudo -n sh -c '));
  const onShell = debug.filter((l) => l.startsWith('shell command in ')).map((l) => l.replace(/^shell command in \d+ ms: /, ''));
  return { ...r, trips: tracedTrips(trace), ownChannel, onShell };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-remote-f2b-'));
  chmodSync(work, 0o755);
  // 20 ms: enough to make a request cost something, short enough for a test
  proxy = await startLatencyProxy(work, 20);
});
afterAll(() => {
  proxy?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface F2bOut {
  server: string;
  configFiles: string[];
  jails: { name: string; enabled: boolean | null; running: boolean; filter: string | null; settings: unknown; checks: unknown }[];
  checks: unknown;
  errors: unknown[];
}
/** what does not move while other suites ban and unban on the same server */
const f2bDigest = (r: Run) => {
  const o = parseJson<F2bOut>(r);
  return { server: o.server, configFiles: o.configFiles, jails: o.jails.map((j) => ({ name: j.name, enabled: j.enabled, running: j.running, filter: j.filter, settings: j.settings, checks: j.checks })), errors: o.errors };
};

describe('fail2ban over ssh', () => {
  const args = () => ['fail2ban', '--socket', e.IR_F2B_SOCKET!, '--conf-dir', e.IR_F2B_CONF_DIR!, '--json'];

  test('one batch for the configuration and the jail list, one shell round trip for every jail', async () => {
    const r = await ir(args());
    expect(r.code).toBe(1);
    const out = parseJson<F2bOut>(r);
    expect(out.server).toBe('running');
    expect(out.jails.length).toBeGreaterThanOrEqual(2);
    // the configuration came in the batch (per file: about 40 sftp requests)
    expect(r.trips.sftp).toBe(0);
    expect(r.trips.perFile).toBe(0);
    expect(r.trips.batches).toBeLessThanOrEqual(2);
    // fail2ban-client never opens a channel (and a sudo) of its own: the status is the batch's, the
    // per-jail questions one command on a kept-open shell, whatever the number of jails
    expect(r.ownChannel).toEqual([]);
    expect(r.onShell.filter((c) => c.includes('ir-fail2ban'))).toHaveLength(1);
    // the host name, the batch, its follow-up shell and two command shells
    expect(r.trips.channels).toBeLessThanOrEqual(5);
  }, 300_000);

  test('with --jail: everything in the batch', async () => {
    const r = await ir([...args(), '--jail', e.IR_F2B_JAIL!]);
    expect(r.code).toBe(1);
    expect(parseJson<F2bOut>(r).jails.map((j) => j.name)).toEqual([e.IR_F2B_JAIL]);
    expect(r.ownChannel).toEqual([]);
    expect(r.onShell).toEqual([]);
    expect(r.trips.sftp).toBe(0);
  }, 300_000);

  test('the same report batched and per file', async () => {
    const batched = await ir(args(), { direct: true });
    const perFile = await ir(args(), { direct: true, batch: false });
    expect(perFile.trips.sftp).toBeGreaterThan(10);
    expect(batched.code).toBe(perFile.code);
    expect(f2bDigest(batched)).toEqual(f2bDigest(perFile));
  }, 300_000);
});

describe('sweep over ssh', () => {
  test("the checks' quick commands come in the batch, the others on kept-open shells, none on a channel of its own", async () => {
    const r = await ir(['sweep', '--only', 'fail2ban,firewall,ssh', '--json']);
    expect([0, 1, 2]).toContain(r.code);
    expect(r.ownChannel).toEqual([]);
    // declared: answered by the batch, never run again
    expect(r.onShell.filter((c) => /^ss |^docker ps |^sshd -T -f \/etc\/ssh\/sshd_config$/.test(c))).toEqual([]);
    // fail2ban's questions as one command (its ping only when it does not answer)
    expect(r.onShell.filter((c) => c.includes('ir-fail2ban'))).toHaveLength(1);
    expect(r.trips.sftp).toBe(0);
    // the host name, the batch, its follow-up shell and four command shells
    expect(r.trips.channels).toBeLessThanOrEqual(7);
    expect(r.trips.batches).toBeLessThanOrEqual(8);
  }, 300_000);
});

describe('sweep --save-baseline over ssh', () => {
  test('the state it keeps (ports, accounts, authorized keys, units) is declared to the batch: no sftp, a few follow-ups; the same per file', async () => {
    const args = (name: string) => ['sweep', '--only', 'accounts', '--state', 'port,account,authorized-key,unit', '--save-baseline', join(work, name), '--json'];
    const r = await ir(args('batched.json'));
    expect(r.code).toBe(0);
    // per account and unit directory before: about 700 reads the batch did not have, and sftp past the follow-ups
    expect(r.trips.sftp).toBe(0);
    expect(r.trips.perFile).toBe(0);
    expect(r.trips.batches).toBeLessThanOrEqual(6);
    expect(r.ownChannel).toEqual([]);
    const perFile = await ir(args('per-file.json'), { batch: false });
    // the listening ports move while other suites run: the rest must be equal
    const state = (x: Run) =>
      parseJson<{ state: { key: string; kind: string; contentHash: string }[] }>(x)
        .state.filter((i) => i.kind !== 'port')
        .map((i) => `${i.key} ${i.contentHash}`);
    expect(state(r).length).toBeGreaterThan(20);
    expect(state(r)).toEqual(state(perFile));
  }, 300_000);
});

describe('auth-review over ssh', () => {
  test('the log in the batch, fail2ban asked meanwhile; the same report per file', async () => {
    const log = join(work, 'auth.log');
    copyFileSync(join(ROOT, 'test/fixtures/authlog/compromise.log'), log);
    chmodSync(log, 0o644);
    const args = ['auth-review', log, '--socket', e.IR_F2B_SOCKET!, '--json'];
    const r = await ir(args);
    expect(r.code).toBe(1);
    // per file: a stat, an open and reads over sftp (about 130 requests)
    expect(r.trips.sftp).toBe(0);
    expect(r.trips.batches).toBe(1);
    // the host name, the batch, its follow-up shell, and fail2ban-client banned
    expect(r.trips.channels).toBeLessThanOrEqual(4);
    const perFile = await ir(args, { batch: false });
    expect(perFile.trips.sftp).toBeGreaterThan(2);
    const report = (x: Run) => {
      const o = parseJson<{ alerts: unknown[]; counts: unknown; logins: unknown; sources: unknown; errors: unknown[] }>(x);
      return { alerts: o.alerts, counts: o.counts, logins: o.logins, sources: o.sources, errors: o.errors };
    };
    expect(report(r)).toEqual(report(perFile));
  }, 300_000);
});
