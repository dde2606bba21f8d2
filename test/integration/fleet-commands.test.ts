import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';

// Single-host commands take the fleet flags too: one row per host, a dead host is exit 2 and never stops the others.
describe('sweep on a fleet', () => {
  it('sweeps the live hosts and reports the dead one', async () => {
    const e = serviceEnv();
    const hosts = [`deploy@127.0.0.1:${e.IR_SSH_PORT}`, 'deploy@127.0.0.1:1'];
    const run = await runIr(['sweep', ...hosts.flatMap((h) => ['--host', h]), '-i', e.IR_SSH_KEY!, '--known-hosts', e.IR_KNOWN_HOSTS!, '--sudo', '--only', 'ssh', '--json']);
    expect(run.code).toBe(2);
    const r = parseJson<{ hosts: { status: string; error?: string; result?: { results: { id: string }[] } }[] }>(run);
    expect(r.hosts[0]!.status).toMatch(/^(ok|findings)$/);
    expect(r.hosts[0]!.result!.results.some((c) => c.id.startsWith('IR-SSH-'))).toBe(true);
    expect(r.hosts[1]).toMatchObject({ status: 'error', error: expect.stringMatching(/connection refused/) });
  });
});

describe('fail2ban and auth-review on a fleet', () => {
  const e = () => serviceEnv();
  const fleet = () => [`deploy@127.0.0.1:${e().IR_SSH_PORT}`, 'deploy@127.0.0.1:1'].flatMap((h) => ['--host', h]);
  const ssh = () => ['-i', e().IR_SSH_KEY!, '--known-hosts', e().IR_KNOWN_HOSTS!, '--sudo'];

  it('fail2ban: every jail of the live host, the dead one as a row', async () => {
    const run = await runIr(['fail2ban', ...fleet(), ...ssh(), '--socket', e().IR_F2B_SOCKET!, '--json']);
    expect(run.code).toBe(2);
    const r = parseJson<{ hosts: { status: string; result?: { jails: { name: string }[] } }[] }>(run);
    expect(r.hosts[0]!.result!.jails.map((j) => j.name).sort()).toEqual(['recidive-test', 'sshd']);
    expect(r.hosts[1]!.status).toBe('error');
  });

  it('auth-review: the named log on every host; stdin is refused for a fleet', async () => {
    // a syslog auth log (the test sshd's own -E log has no syslog header: auth-review refuses it as unreadable)
    const run = await runIr(['auth-review', ...fleet(), ...ssh(), join(ROOT, 'test/fixtures/authlog/compromise.log'), '--json']);
    expect(run.code).toBe(2);
    const r = parseJson<{ hosts: { status: string; result?: { alerts: unknown[] } }[] }>(run);
    expect(r.hosts[0]!.status).toMatch(/^(ok|findings)$/);
    expect(Array.isArray(r.hosts[0]!.result!.alerts)).toBe(true);
    const stdin = await runIr(['auth-review', ...fleet(), ...ssh(), '-']);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/take one host/);
  });
});
