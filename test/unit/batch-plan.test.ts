import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentRegex, declarationPaths, expandBraces, patternsOfDeclarations, templateSiblings } from '../../src/host/batch/declared.js';
import { FrameParser } from '../../src/host/batch/frames.js';
import { makePlan } from '../../src/host/batch/plan.js';
import { batchScript } from '../../src/host/batch/script.js';
import { BatchReceiver, SnapshotStore, Spool } from '../../src/host/batch/store.js';
import { execLocal } from '../../src/host/exec.js';

describe('declarations', () => {
  test('paths first, a note after; lstat in the note means metadata only', () => {
    expect(declarationPaths('~/.bash_history ~/.zsh_history …')).toEqual({ paths: ['~/.bash_history', '~/.zsh_history'], lstatOnly: false });
    expect(declarationPaths('/proc/*/fd/* (lstat: socket owners)')).toEqual({ paths: ['/proc/*/fd/*'], lstatOnly: true });
    expect(declarationPaths('docker ps -a / docker inspect (live)')).toEqual({ paths: [], lstatOnly: false });
    expect(declarationPaths('APP/**/.env')).toEqual({ paths: [], lstatOnly: false });
  });

  test('braces, placeholders, templates and the per-namespace files', () => {
    expect(expandBraces('/etc/cron.{daily,weekly}/*')).toEqual(['/etc/cron.daily/*', '/etc/cron.weekly/*']);
    const d = patternsOfDeclarations({ paths: ['/proc/PID/net/{tcp,udp} (one PID per network namespace)', '/proc/PID/status (CapEff)', '/proc/PID/mounts', '/etc/crontab'] });
    // placeholders are not read up front
    expect(d.patterns.map((p) => p.comps.join('/'))).toEqual(['etc/crontab', 'etc/crontab/*']);
    expect(d.netnsFiles).toEqual(['tcp', 'udp']);
    // a read of one brings the others of the same PID
    expect(templateSiblings('/proc/42/status', d.templates).sort()).toEqual(['/proc/42/mounts', '/proc/42/net/tcp', '/proc/42/net/udp', '/proc/42/status']);
    expect(templateSiblings('/proc/42/cmdline', d.templates)).toEqual([]);
  });

  test('a glob component never crosses a slash; regex characters in names are literal', () => {
    const re = (c: string) => new RegExp(`^${componentRegex(c)}$`);
    expect(re('*.conf').test('a.conf')).toBe(true);
    expect(re('*.conf').test('a/b.conf')).toBe(false);
    expect(re('rc?.d').test('rc2.d')).toBe(true);
    expect(re('a+b(c)').test('a+b(c)')).toBe(true);
    expect(re('[!.]*').test('.hidden')).toBe(false);
  });
});

describe('the stream', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ir-frames-'));
    mkdirSync(join(work, 'd'));
    for (let i = 0; i < 40; i++) writeFileSync(join(work, 'd', `f${i}`), Buffer.concat([Buffer.from(`file ${i}\0`), Buffer.alloc(i * 997, i)]));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('read in chunks of any size (a delimiter split between two), the same snapshot', async () => {
    const plan = makePlan(patternsOfDeclarations({ paths: [`${work}/d/*`, '/proc/self/stat'] }).patterns, { maxFileBytes: 1 << 20 });
    const nonce = 'a'.repeat(32);
    const res = await execLocal(['sh', '-s'], { input: batchScript(plan, nonce) });
    expect(res.code).toBe(0);
    const read = async (chunk: number) => {
      const spool = await Spool.create();
      const store = new SnapshotStore(spool);
      const receiver = new BatchReceiver(store, plan, () => '');
      const parser = new FrameParser(nonce, receiver);
      for (let i = 0; i < res.stdout.length; i += chunk) await new Promise<void>((r) => parser.write(res.stdout.subarray(i, i + chunk), () => r()));
      await new Promise<void>((r) => parser.end(() => r()));
      expect(parser.failed).toBeUndefined();
      receiver.finish();
      const out: string[] = [];
      for (const e of store.list(`${work}/d`)) {
        const l = store.resolve(`${work}/d/${e.name}`, true);
        const c = l.kind === 'found' ? store.content(l.path) : undefined;
        out.push(`${e.name} ${e.stat.size} ${c && c !== 'vanished' ? (await spool.read(c)).toString('base64') : '-'}`);
      }
      await spool.remove();
      return out;
    };
    const whole = await read(res.stdout.length);
    expect(whole).toHaveLength(40);
    expect(await read(13)).toEqual(whole);
    expect(await read(509)).toEqual(whole);
    expect(await read(4096)).toEqual(whole);
  });

  test('a stream that is not a batch, or carries another nonce, is refused', async () => {
    const plan = makePlan([], { maxFileBytes: 1 });
    const parse = async (bytes: Buffer) => {
      const spool = await Spool.create();
      const parser = new FrameParser('b'.repeat(32), new BatchReceiver(new SnapshotStore(spool), plan, () => ''));
      await new Promise<void>((r) => parser.end(bytes, () => r()));
      await spool.remove();
      return parser.failed?.message;
    };
    expect(await parse(Buffer.from('Welcome to the jump host\n'))).toMatch(/ended inside a record/);
    expect(await parse(Buffer.from('Welcome\0to the jump host\n'))).toMatch(/unexpected record/);
    expect(await parse(Buffer.from(`V\0${'c'.repeat(32)}\0f\0t\0o\x000\0`))).toMatch(/wrong nonce/);
  });

  test('the script carries no NUL byte and no nonce in an argument', () => {
    const plan = makePlan(patternsOfDeclarations({ paths: ['/etc/crontab', '/proc/*/stat', '/proc/PID/net/tcp', '~/.ssh/authorized_keys'] }).patterns, { maxFileBytes: 1, commands: [['uname', '-a']], netnsFiles: ['tcp'] });
    const s = batchScript(plan, 'n'.repeat(32));
    expect(s.includes('\0')).toBe(false);
    // the nonce is set once, in the script that arrives on stdin, and used by printf (a builtin) only
    expect(s.split('n'.repeat(32)).length).toBe(2);
  });
});
