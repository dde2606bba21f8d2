import { createServer, type AddressInfo } from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv, serviceEnv, sshArgs } from '../helpers/services.js';

/** This machine's toolchains under /root are not evidence and take long to list. */
const QUIET = ['/root/.pyenv', '/root/.rustup', '/root/.m2', '/root/.npm', '/root/.cache', '/root/.cargo'].flatMap((p) => ['--exclude', p]);

let work: string;
let tree: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-collect-'));
  tree = join(work, 'tree');
  mkdirSync(join(tree, 'loop'), { recursive: true });
  symlinkSync('../loop', join(tree, 'loop', 'self'));
  symlinkSync('a', join(tree, 'b'));
  symlinkSync('b', join(tree, 'a'));
  execFileSync('mkfifo', [join(tree, 'fifo')]);
  writeFileSync(join(tree, 'empty'), '');
  writeFileSync(join(tree, 'app.log'), '2026-01-01T00:00:00Z GET / 200 198.51.100.7\n'.repeat(1000));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function outDir(name: string): string {
  const d = join(work, name);
  mkdirSync(d);
  return d;
}

interface Res {
  path: string;
  sha256: string;
  files: number;
  skipped: number;
  containers: number;
  target: string;
}

async function verify(file: string) {
  return runIr(['evidence', 'verify', file, '--json']);
}

describe('ir collect (local)', () => {
  let res: Res;
  beforeAll(async () => {
    const out = outDir('local');
    const r = await runIr(['collect', '--out', out, '--include', tree, ...QUIET, '--json'], { timeoutMs: 300_000 });
    expect([0, 1]).toContain(r.code);
    res = parseJson<Res>(r);
  }, 300_000);

  test('the archive and its .sha256 are there, nothing else', () => {
    const name = res.path.split('/').pop() as string;
    expect(name).toMatch(/^ir-.+-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(readdirSync(join(work, 'local')).sort()).toEqual([name, `${name}.sha256`]);
    execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: join(work, 'local') });
  });

  test('symlink loop, FIFO and 0-byte file are handled', async () => {
    const ls = parseJson<{ entries: { path: string; type: string; size: number; linkTarget?: string }[] }>(await runIr(['evidence', 'ls', res.path, '--json']));
    const at = (p: string) => ls.entries.find((e) => e.path === `fs${tree}/${p}`);
    expect(at('loop/self')).toMatchObject({ type: 'symlink', linkTarget: '../loop' });
    expect(at('a')).toMatchObject({ type: 'symlink', linkTarget: 'b' });
    expect(at('empty')).toMatchObject({ type: 'file', size: 0 });
    expect(at('fifo')).toBeUndefined();
    const log = execFileSync('tar', ['xzf', res.path, '-O', 'acquisition.log']).toString();
    expect(log).toContain(`${tree}/fifo: fifo, recorded in the bodyfile, not read`);
    const body = execFileSync('tar', ['xzf', res.path, '-O', 'bodyfile.txt'], { maxBuffer: 1 << 30 }).toString();
    expect(body).toMatch(new RegExp(`\\|${tree}/fifo\\|\\d+\\|prw`));
    expect(body).toContain(`|${tree}/a -> b|`);
  });

  test('verify passes; one byte flipped in a member makes it fail naming that member', async () => {
    const ok = await verify(res.path);
    expect(ok.code).toBe(0);
    const tar = execFileSync('gzip', ['-dc', res.path], { maxBuffer: 1 << 30 });
    const name = `fs${tree}/app.log`;
    const at = tar.indexOf(Buffer.from(`${name}\0`));
    expect(at).toBeGreaterThanOrEqual(0);
    tar[at + 512 + 100] ^= 0x20;
    const bad = join(work, 'bad.tar.gz');
    writeFileSync(bad, execFileSync('gzip', ['-c'], { input: tar, maxBuffer: 1 << 30 }));
    const r = await verify(bad);
    expect(r.code).toBe(1);
    const v = parseJson<{ problems: { path: string; problem: string }[] }>(r);
    expect(v.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: name, problem: expect.stringMatching(/SHA-256 differs/) })]));
  });
});

test('offline --root: files and bodyfile, live sections recorded as not available', async () => {
  const root = join(work, 'image');
  mkdirSync(join(root, 'etc/ssh'), { recursive: true });
  mkdirSync(join(root, 'var/log'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'web-9\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
  writeFileSync(join(root, 'var/log/auth.log'), 'Jan  1 00:00:00 web-9 sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2\n');
  symlinkSync('/etc/passwd', join(root, 'var/log/escape'));
  // bodyfile roots: a plain one, one behind a link in its parent (usr -> /data/usr, inside the image), a link
  mkdirSync(join(root, 'var/www'), { recursive: true });
  writeFileSync(join(root, 'var/www/shell.php'), '<?php system($_GET["c"]);');
  mkdirSync(join(root, 'data/usr/local/bin'), { recursive: true });
  writeFileSync(join(root, 'data/usr/local/bin/tool'), '#!/bin/sh\n');
  symlinkSync('/data/usr', join(root, 'usr'));
  mkdirSync(join(root, 'data/srv'), { recursive: true });
  symlinkSync('/data/srv', join(root, 'srv'));
  const out = outDir('offline');
  const r = await runIr(['collect', '--root', root, '--out', out, '--json']);
  expect(r.code).toBe(0);
  const res = parseJson<Res>(r);
  expect(res.path).toMatch(/\/ir-web-9-/);
  const names = execFileSync('tar', ['tzf', res.path]).toString().split('\n');
  expect(names).toEqual(expect.arrayContaining(['fs/var/log/auth.log', 'fs/etc/passwd', 'fs/var/log/escape', 'bodyfile.txt']));
  expect(names).not.toContain('fs/etc/shadow');
  expect(execFileSync('tar', ['xzf', res.path, '-O', 'acquisition.log']).toString()).toMatch(/not available on an offline image/);
  // the bodyfile names the image's own paths (find ran on this machine, under the image)
  const body = execFileSync('tar', ['xzf', res.path, '-O', 'bodyfile.txt']).toString();
  const names2 = body.trim().split('\n').map((l) => l.split('|')[1]);
  expect(names2).toEqual(expect.arrayContaining(['/var/www', '/var/www/shell.php', '/usr/local', '/usr/local/bin/tool', '/srv -> /data/srv', '/etc/passwd']));
  expect(body).not.toContain(root);
  expect(names2.filter((n) => n!.startsWith('/srv/'))).toEqual([]);
  // each path once: /etc/passwd was collected (its own line) and listed under /etc (that line left out)
  expect(names2.length).toBe(new Set(names2).size);
  expect(execFileSync('tar', ['xzf', res.path, '-O', 'acquisition.log']).toString()).toMatch(/bodyfile: \/etc: \d+ entries listed by find from \d{4}-\d\d-\d\dT[\d:.]+Z to /);
  expect((await verify(res.path)).code).toBe(0);
});

test('bad input: missing --out is exit 2 and writes nothing', async () => {
  const r = await runIr(['collect', '--root', tree, '--out', join(work, 'nope')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/no such directory/);
});

test('a killed collect leaves only the .partial', async () => {
  const big = join(work, 'big');
  mkdirSync(big);
  execFileSync('sh', ['-c', `head -c 400000000 /dev/urandom > ${big}/blob`]);
  const out = outDir('killed');
  // the work dir as an offline root (it needs an etc/), the big file inside it
  mkdirSync(join(work, 'etc'), { recursive: true });
  const child = spawn(process.execPath, [BIN, 'collect', '--root', work, '--include', '/big', '--out', out], { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  for (let i = 0; i < 200 && !readdirSync(out).some((f) => f.endsWith('.partial')); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const left = readdirSync(out);
  expect(left.length).toBe(1);
  expect(left[0]).toMatch(/\.tar\.gz\.partial$/);
}, 120_000);

describe('with the real services', () => {
  test('Docker: every container of the Compose project, inspect redacted, verify passes', async () => {
    const env = serviceEnv();
    const out = outDir('docker');
    const skip = ['/root', '/home', '/var/log', '/tmp', '/usr/local', '/opt'].flatMap((p) => ['--exclude', p]);
    const r = await runIr(['collect', '--out', out, '--project', env.IR_COMPOSE_PROJECT as string, ...skip, '--json'], { env: dockerEnv(), timeoutMs: 300_000 });
    expect([0, 1]).toContain(r.code);
    const res = parseJson<Res>(r);
    expect(res.containers).toBeGreaterThanOrEqual(2);
    const names = execFileSync('tar', ['tzf', res.path]).toString();
    for (const f of ['logs', 'logs.stderr', 'inspect.json', 'diff.txt', 'top.txt']) expect(names).toMatch(new RegExp(`docker/irtest/[^/]+/${f.replace('.', '\\.')}\\n`));
    expect(names).toContain('docker/irtest/compose-config.yaml\n');
    const m = JSON.parse(execFileSync('tar', ['xzf', res.path, '-O', 'manifest.json']).toString()) as { files: { path: string; command?: { argv: string[]; code: number } }[] };
    const logs = m.files.find((f) => /docker\/irtest\/.+\/logs$/.test(f.path));
    expect(logs?.command?.argv).toEqual(expect.arrayContaining(['docker', 'logs', '--timestamps']));
    expect((await verify(res.path)).code).toBe(0);
  }, 300_000);

  test('over ssh as deploy with --sudo: streamed through sftp, verify passes', async () => {
    const out = outDir('ssh');
    // docker through ssh is reached too (the test sshd hands sessions the test dockerd): one project keeps it short
    const r = await runIr(['collect', ...sshArgs(), '--out', out, '--include', tree, '--project', serviceEnv().IR_COMPOSE_PROJECT!, ...QUIET, '--json'], { timeoutMs: 300_000 });
    expect([0, 1]).toContain(r.code);
    const res = parseJson<Res>(r);
    expect(res.target).toBe('ssh');
    const names = execFileSync('tar', ['tzf', res.path]).toString();
    expect(names).toContain('live/ss-tulpen.txt\n');
    expect(names).toContain(`fs${tree}/app.log\n`);
    expect(names).toContain('fs/etc/sudoers\n'); // root-only: read through sudo sftp-server
    expect((await verify(res.path)).code).toBe(0);
  }, 300_000);

  test('ssh host that does not answer: exit 2, nothing written', async () => {
    const out = outDir('ssh-dead');
    const e = serviceEnv();
    // a listener on loopback that accepts and never says a word: a host that does not answer, without
    // sending a packet anywhere but this machine
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const r = await runIr(['collect', '--host', `deploy@127.0.0.1:${port}`, '-i', e.IR_SSH_KEY as string, '--known-hosts', e.IR_KNOWN_HOSTS as string, '--connect-timeout', '2', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ir collect: .*connection timed out$/)]);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      silent.close();
    }
  });
});

test('not an ir archive, missing file: exit 2', async () => {
  expect((await verify(join(work, 'missing.tar.gz'))).code).toBe(2);
  const f = join(work, 'plain.tar.gz');
  execFileSync('tar', ['czf', f, '-C', tree, 'empty']);
  expect((await verify(f)).code).toBe(2);
  expect(existsSync(f)).toBe(true);
  expect(readFileSync(f).length).toBeGreaterThan(0);
});
