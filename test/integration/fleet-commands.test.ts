import { parseJson, runIr } from '../helpers/cli.js';
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
