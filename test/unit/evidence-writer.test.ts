import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EvidenceWriter } from '../../src/evidence/writer.js';
import { Manifest } from '../../src/evidence/manifest.js';
import { UserError } from '../../src/core/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-ev-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base = { host: 'web-1.example.com', argv: ['collect'], toolVersion: '0.0.0-test', operator: 'tester' };

function extract(archive: string): string {
  const out = join(dir, 'x');
  execFileSync('mkdir', ['-p', out]);
  execFileSync('tar', ['xzf', archive, '-C', out]);
  return out;
}

describe('EvidenceWriter', () => {
  test('writes a .tar.gz that tar, gzip -t and sha256sum -c accept', async () => {
    const w = await EvidenceWriter.create({ ...base, dir });
    expect(w.path).toMatch(/\/ir-web-1\.example\.com-\d{8}T\d{6}Z\.tar\.gz$/);
    await w.addBuffer('/fs/etc/hostname', Buffer.from('web-1\n'), { source: '/etc/hostname', mode: 0o644, mtime: 1_700_000_000 });
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'a');
    await w.addStream('fs/var/log/big.log', Readable.from([big.subarray(0, 1000), big.subarray(1000)]), { source: '/var/log/big.log', size: big.length });
    await w.addBuffer('fs/empty', Buffer.alloc(0), { source: '/empty' });
    const long = 'fs/' + 'd'.repeat(120) + '/ünïcode name\nwith newline';
    await w.addBuffer(long, Buffer.from('x'), { source: 'long' });
    await w.addSymlink('fs/etc/link', '../../../../../../loop', { source: '/etc/link' });
    await w.addCommand('live/uname.txt', { argv: ['uname', '-a'], stdout: Buffer.from('Linux\n'), stderr: Buffer.from('warn\n'), code: 0, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z' });
    w.skip('/dev/shm/fifo', 'FIFO: never opened');
    const res = await w.finish();
    expect(res.files).toBe(7);
    expect(res.skipped).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([res.path.split('/').pop(), res.path.split('/').pop() + '.sha256'].sort());
    execFileSync('gzip', ['-t', res.path]);
    execFileSync('sha256sum', ['-c', res.path + '.sha256'], { cwd: dir });
    const x = extract(res.path);
    execFileSync('sha256sum', ['--quiet', '-c', 'hashes.sha256'], { cwd: x });
    expect(readFileSync(join(x, long), 'utf8')).toBe('x');
    expect(readFileSync(join(x, 'fs/var/log/big.log')).equals(big)).toBe(true);
    expect(execFileSync('readlink', [join(x, 'fs/etc/link')]).toString().trim()).toBe('../../../../../../loop');
    const m = Manifest.parse(JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')));
    expect(m.files.find((f) => f.path === 'live/uname.txt')?.command?.argv).toEqual(['uname', '-a']);
    expect(readFileSync(join(x, 'live/uname.txt.stderr'), 'utf8')).toBe('warn\n');
    expect(m.skipped[0]?.reason).toMatch(/FIFO/);
    const log = readFileSync(join(x, 'acquisition.log'), 'utf8');
    expect(log).toMatch(/0\.0\.0-test/);
    expect(log).toMatch(/skipped \/dev\/shm\/fifo/);
    expect(execFileSync('tar', ['tvzf', res.path]).toString()).toMatch(/2023-11-14 \d\d:\d\d fs\/etc\/hostname/);
  });

  test('a stream longer than its size is cut and marked grew; a shorter one is zero-filled', async () => {
    const w = await EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' });
    await w.addStream('grow', Readable.from([Buffer.from('12345'), Buffer.from('678')]), { source: 'g', size: 4 });
    await w.addStream('shrink', Readable.from([Buffer.from('12')]), { source: 's', size: 5 });
    const res = await w.finish();
    const x = extract(res.path);
    expect(readFileSync(join(x, 'grow'), 'utf8')).toBe('1234');
    expect(readFileSync(join(x, 'shrink'))).toEqual(Buffer.from([0x31, 0x32, 0, 0, 0]));
    const m = Manifest.parse(JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')));
    expect(m.files.find((f) => f.path === 'grow')?.grew).toBe(true);
    expect(m.files.find((f) => f.path === 'shrink')?.shrankTo).toBe(2);
    execFileSync('sha256sum', ['--quiet', '-c', 'hashes.sha256'], { cwd: x });
  });

  test('a read error is recorded, zero-filled, rethrown; the archive stays valid', async () => {
    const w = await EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' });
    async function* failing() {
      yield Buffer.from('abc');
      throw new Error('EIO');
    }
    await expect(w.addStream('bad', Readable.from(failing()), { source: 'b', size: 10 })).rejects.toThrow('EIO');
    await w.addBuffer('after', Buffer.from('ok'), { source: 'a' });
    const res = await w.finish();
    expect(res.failed).toBe(1);
    expect(res.skipped).toBe(0);
    const x = extract(res.path);
    expect(readFileSync(join(x, 'after'), 'utf8')).toBe('ok');
  });

  test('concurrent adds are serialised; duplicate paths get a suffix', async () => {
    const w = await EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' });
    await Promise.all([1, 2, 3].map((i) => w.addBuffer('same', Buffer.from(String(i)), { source: String(i) })));
    const res = await w.finish();
    const x = extract(res.path);
    expect(['same', 'same.1', 'same.2'].map((f) => readFileSync(join(x, f), 'utf8'))).toEqual(['1', '2', '3']);
  });

  test('missing dir is a UserError; abort removes the .partial; existing evidence is never overwritten', async () => {
    await expect(EvidenceWriter.create({ ...base, dir: join(dir, 'nope') })).rejects.toBeInstanceOf(UserError);
    const w = await EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' });
    await w.addBuffer('a', Buffer.from('a'), { source: 'a' });
    expect(readdirSync(dir)).toEqual(['e.tar.gz.partial']);
    await w.abort();
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, 'e.tar.gz'), 'x');
    await expect(EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' })).rejects.toThrow(/never overwritten/);
  });

  test('commands spooled side by side are stored in the order asked, each in its own spool, whose name is gone once open (a killed run leaves none); an abort closes the pending ones', async () => {
    const w = await EvidenceWriter.create({ ...base, dir, name: 'e.tar.gz' });
    const res = (argv: string[]) => ({ argv, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), code: 0, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z' });
    // the second finishes first; each writes its own bytes to its own sinks
    const run = (name: string, ms: number) =>
      w.spoolCommand(async (s) => {
        s.stdout.write(`${name} out\n`);
        await new Promise((r) => setTimeout(r, ms));
        s.stderr.write(`${name} err\n`);
        return res(['docker', 'logs', name]);
      });
    const [a, b] = [run('a', 60), run('b', 5)];
    const sb = await b;
    expect(readdirSync(dir)).toEqual(['e.tar.gz.partial']);
    await (await a).store('docker/a/logs');
    await sb.store('docker/b/logs');
    const done = await w.finish();
    expect(readdirSync(dir).sort()).toEqual(['e.tar.gz', 'e.tar.gz.sha256']);
    const x = extract(done.path);
    const m = Manifest.parse(JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')));
    expect(m.files.map((f) => f.path).filter((p) => p.startsWith('docker/'))).toEqual(['docker/a/logs', 'docker/a/logs.stderr', 'docker/b/logs', 'docker/b/logs.stderr']);
    expect(['docker/a/logs', 'docker/b/logs.stderr'].map((f) => readFileSync(join(x, f), 'utf8'))).toEqual(['a out\n', 'b err\n']);
    expect(m.files[2]?.command?.argv).toEqual(['docker', 'logs', 'b']);

    // one dropped, one pending when the run is aborted: nothing left beside the archive
    const w2 = await EvidenceWriter.create({ ...base, dir, name: 'f.tar.gz' });
    const one = await w2.spoolCommand(async (s) => {
      s.stdout.write('x');
      return res(['journalctl']);
    });
    await one.drop();
    await w2.spoolCommand(async (s) => {
      s.stdout.write('y');
      return res(['journalctl']);
    });
    expect(readdirSync(dir).filter((f) => f.startsWith('f.tar.gz'))).toEqual(['f.tar.gz.partial']);
    await w2.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('f.tar.gz'))).toEqual([]);
  });
});

