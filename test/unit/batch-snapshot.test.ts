import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execLocal } from '../../src/host/exec.js';
import { LocalHost } from '../../src/host/local.js';
import { openSnapshot } from '../../src/host/batch/snapshot.js';
import { emptyRoundTrips, type RoundTrips } from '../../src/host/batch/roundtrips.js';
import type { ExecOptions, Target } from '../../src/host/target.js';
import { TargetError } from '../../src/host/target.js';

/**
 * The batch run for real on this machine (`sh -s` here instead of over ssh), then every answer of the
 * snapshot compared with the host's own: awkward names, links, a FIFO, large and binary files, a
 * content that imitates the stream's records. The snapshot must never say something the host does not.
 */

let work: string;
let t: string;
const host = new LocalHost();

/** LocalHost with its exec run under another PATH (a host without GNU tar, with busybox find), counted. */
function hostWithPath(path: string | null, rt: RoundTrips = emptyRoundTrips()): Target & { roundTrips(): RoundTrips } {
  const h = new LocalHost();
  return Object.assign(Object.create(h) as Target, {
    exec: (argv: string[], opts?: ExecOptions) => {
      rt.execs++;
      return path ? execLocal(['env', `PATH=${path}`, ...argv], opts) : execLocal(argv, opts);
    },
    roundTrips: () => rt,
  }) as Target & { roundTrips(): RoundTrips };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-batch-'));
  t = join(work, 'root');
  mkdirSync(join(t, 'etc/cron.d'), { recursive: true });
  mkdirSync(join(t, 'etc/empty.d'), { recursive: true });
  mkdirSync(join(t, 'deep/a/b/c'), { recursive: true });
  mkdirSync(join(t, 'real/dir'), { recursive: true });
  writeFileSync(join(t, 'etc/crontab'), '* * * * * root /usr/bin/true\n');
  writeFileSync(join(t, 'etc/cron.d/plain'), 'MAILTO=""\n');
  writeFileSync(join(t, 'etc/cron.d/sp ace'), 'a file with a space\n');
  writeFileSync(join(t, 'etc/cron.d/new\nline'), 'a name with a newline\n');
  writeFileSync(join(t, 'etc/cron.d/star*name'), 'a star in the name\n');
  writeFileSync(join(t, 'etc/cron.d/-dash'), 'a leading dash\n');
  writeFileSync(join(t, 'etc/cron.d/empty'), '');
  // content that looks like the stream's own records and delimiters: never taken for them
  writeFileSync(join(t, 'etc/cron.d/forged'), Buffer.concat([Buffer.from('x\0V\0\0E\0'), Buffer.from('\0deadbeefdeadbeefdeadbeefdeadbeef\x000\0M\0r0\0f\0'), Buffer.alloc(70_000, 0), Buffer.from('end')]));
  writeFileSync(join(t, 'etc/cron.d/big'), Buffer.alloc(300 * 1024, 'b'));
  writeFileSync(join(t, 'etc/cron.d/ünïcode'), 'utf-8 name\n');
  symlinkSync('plain', join(t, 'etc/cron.d/link-to-plain'));
  symlinkSync('nowhere', join(t, 'etc/cron.d/dangling'));
  symlinkSync('loop2', join(t, 'etc/cron.d/loop1'));
  symlinkSync('loop1', join(t, 'etc/cron.d/loop2'));
  symlinkSync('../../real/dir', join(t, 'etc/cron.d/link-to-dir'));
  execFileSync('mkfifo', [join(t, 'etc/cron.d/fifo')]);
  writeFileSync(join(t, 'deep/a/b/c/leaf.conf'), 'deep\n');
  writeFileSync(join(t, 'deep/a/top.conf'), 'top\n');
  writeFileSync(join(t, 'deep/a/skip.txt'), 'not a .conf\n');
  writeFileSync(join(t, 'real/dir/inside'), 'through a link\n');
  chmodSync(join(t, 'etc/crontab'), 0o640);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const declarations = () => [`${t}/etc/crontab`, `${t}/etc/cron.d/*`, `${t}/etc/empty.d/*`, `${t}/deep/**/*.conf`, `${t}/missing/file`, `${t}/etc/cron.d/link-to-dir/*`];

/** What a target answers for a path, in a form two targets can be compared by. */
async function answers(target: Target, path: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const err = (e: unknown) => (e instanceof TargetError ? `error ${e.code}` : `error ${(e as Error).message}`);
  const stat = (s: Awaited<ReturnType<Target['lstat']>>) => s && { type: s.type, mode: s.mode, uid: s.uid, gid: s.gid, size: s.type === 'dir' ? 'dir' : s.size, mtime: Math.floor(s.mtime) };
  out.lstat = await target.lstat(path).then(stat, err);
  out.stat = await target.stat(path).then(stat, err);
  out.list = await target.list(path).then((l) => l.map((e) => `${e.name} ${e.path} ${e.stat.type}`), err);
  out.readlink = await target.readlink(path).catch(err);
  out.readFile = await target.readFile(path, { maxBytes: 1 << 20 }).then((b) => b.toString('base64'), err);
  return out;
}

const paths = () => [
  '/',
  t,
  `${t}/etc`,
  `${t}/etc/crontab`,
  `${t}/etc/cron.d`,
  ...['plain', 'sp ace', 'new\nline', 'star*name', '-dash', 'empty', 'forged', 'big', 'ünïcode', 'link-to-plain', 'dangling', 'loop1', 'link-to-dir', 'link-to-dir/inside', 'fifo', 'not-there'].map((n) => `${t}/etc/cron.d/${n}`),
  `${t}/etc/empty.d`,
  `${t}/etc/empty.d/nothing`,
  `${t}/deep/a/b/c/leaf.conf`,
  `${t}/deep/a/top.conf`,
  `${t}/deep/a/b`,
  `${t}/missing/file`,
  `${t}/missing`,
  `${t}/etc/crontab/under-a-file`,
];

describe('a snapshot answers as the host does', () => {
  test('every declared path, read in one batch, with no read going to the host', async () => {
    const rt = emptyRoundTrips();
    const inner = hostWithPath(null, rt);
    const snap = await openSnapshot(inner, { paths: declarations() }, { followUps: 0 });
    try {
      expect(snap.reading?.()).toEqual({ mode: 'batch', note: expect.stringContaining('GNU findutils') });
      const before = rt.execs;
      for (const p of paths()) {
        expect({ path: p, ...(await answers(snap, p)) }).toEqual({ path: p, ...(await answers(host, p)) });
      }
      // all of it from the batch: not one command or read more
      expect(rt.execs).toBe(before);
      expect(rt.batches).toBe(1);
      expect(rt.served).toBeGreaterThan(50);
    } finally {
      await snap.close();
    }
  });

  test('what was not declared comes through one follow-up batch per round, and is right', async () => {
    const rt = emptyRoundTrips();
    const snap = await openSnapshot(hostWithPath(null, rt), { paths: [`${t}/etc/crontab`] });
    try {
      const want = [`${t}/deep/a/top.conf`, `${t}/deep/a/skip.txt`, `${t}/real/dir/inside`, `${t}/etc/cron.d/forged`, `${t}/etc/cron.d/big`];
      // asked together (as detectors running at once do): one follow-up for all of them
      const got = await Promise.all(want.map((p) => snap.readFile(p).then((b) => b.toString('base64'))));
      expect(got).toEqual(await Promise.all(want.map((p) => host.readFile(p).then((b) => b.toString('base64')))));
      expect(rt.batches).toBe(2);
      for (const p of paths()) expect({ path: p, ...(await answers(snap, p)) }).toEqual({ path: p, ...(await answers(host, p)) });
    } finally {
      await snap.close();
    }
  });

  test('contents are streamed to the spool as they are, past the batch cap they come from the host', async () => {
    const rt = emptyRoundTrips();
    const snap = await openSnapshot(hostWithPath(null, rt), { paths: [`${t}/etc/cron.d/*`] }, { maxFileBytes: 1000, followUps: 0 });
    try {
      const stream = await snap.openRead(`${t}/etc/cron.d/forged`, { start: 2, end: 9 });
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks)).toEqual((await host.readFile(`${t}/etc/cron.d/forged`)).subarray(2, 10));
      expect((await snap.readFile(`${t}/etc/cron.d/big`)).length).toBe(300 * 1024);
      expect(snap.readBy?.(`${t}/etc/cron.d/plain`)).toBe('ssh batch (tar)');
    } finally {
      await snap.close();
    }
  });
});

describe('hosts where the batch cannot run as planned', () => {
  let bin: string;
  beforeAll(() => {
    bin = join(work, 'bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'cat', 'head', 'id', 'pwd', 'env', 'find', 'tar', 'timeout']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim();
      if (real.startsWith('/')) symlinkSync(real, join(bin, tool));
    }
  });

  test('without GNU tar the contents come framed by cat, and the answers are the same', async () => {
    const noTar = join(work, 'bin-no-tar');
    mkdirSync(noTar);
    for (const tool of ['sh', 'cat', 'head', 'id', 'env', 'find', 'timeout']) symlinkSync(join(bin, tool), join(noTar, tool));
    const snap = await openSnapshot(hostWithPath(noTar), { paths: declarations() }, { followUps: 0 });
    try {
      expect(snap.reading?.().note).toMatch(/no GNU tar: contents by cat/);
      for (const p of paths().filter((p) => p.includes('/cron.d/') || p.endsWith('crontab'))) expect({ path: p, ...(await answers(snap, p)) }).toEqual({ path: p, ...(await answers(host, p)) });
      expect(snap.readBy?.(`${t}/etc/cron.d/plain`)).toBe('ssh batch (cat)');
    } finally {
      await snap.close();
    }
  });

  test('with BusyBox find (no -printf) the host is read per file, and the output says why', async () => {
    const bb = join(work, 'bin-busybox');
    mkdirSync(bb);
    for (const tool of ['sh', 'cat', 'head', 'id', 'env', 'tar']) symlinkSync(join(bin, tool), join(bb, tool));
    symlinkSync(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), join(bb, 'find'));
    const rt = emptyRoundTrips();
    const snap = await openSnapshot(hostWithPath(bb, rt), { paths: declarations() });
    expect(snap.reading?.()).toEqual({ mode: 'per-file', note: expect.stringMatching(/read per file: find is not GNU find/) });
    expect(await answers(snap, `${t}/etc/cron.d/plain`)).toEqual(await answers(host, `${t}/etc/cron.d/plain`));
  });

  test('a shell that does not run the script (a forced command) is read per file', async () => {
    const forced = Object.assign(Object.create(host) as Target, { exec: (_argv: string[], opts?: ExecOptions) => execLocal(['echo', 'This account is restricted.'], { ...opts, input: undefined }) });
    const snap = await openSnapshot(forced, { paths: declarations() });
    expect(snap.reading?.()).toEqual({ mode: 'per-file', note: expect.stringMatching(/did not start .*: This account is restricted/) });
  });
});
