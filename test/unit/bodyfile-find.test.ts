import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BodyfileFilter, bodyfileLine, bodyfileName, FIND_PRINTF, FindToBodyfile } from '../../src/collect/bodyfile.js';
import { execLocal } from '../../src/host/exec.js';
import { LocalHost } from '../../src/host/local.js';

/**
 * The bodyfile from one real `find -printf` (live hosts) must be line for line the bodyfile of the
 * walk through the Target (offline images, busybox), on a tree with the names that break parsers.
 */
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ir-bodyfile-'));
  const a = join(root, 'a');
  mkdirSync(join(a, 'skip', 'deep'), { recursive: true });
  writeFileSync(join(a, 'b c.txt'), 'text');
  writeFileSync(join(a, 'pi|pe'), 'x');
  writeFileSync(join(a, 'new\nline'), 'y');
  writeFileSync(join(a, 'empty'), '');
  writeFileSync(join(a, 'skip', 'deep', 'hidden'), 'z');
  writeFileSync(join(a, 'suid'), '#!/bin/sh\n');
  chmodSync(join(a, 'suid'), 0o4755);
  mkdirSync(join(root, 'sticky'));
  chmodSync(join(root, 'sticky'), 0o1777);
  symlinkSync('b c.txt', join(a, 'ln'));
  symlinkSync('/nonexistent/target', join(a, 'dangling'));
  execFileSync('mkfifo', [join(a, 'fifo')]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const keep = (p: string) => (p.endsWith('/skip') ? 'prune' : 'keep') as 'keep' | 'prune';
// listing a fresh directory and reading a link (find's %l, the walk's readlink) may update their atime
// (relatime): the atime of directories and links is not compared
const norm = (text: string) =>
  text
    .split(/\n(?=0\|)/)
    .map((l) => l.replace(/\n$/, ''))
    .filter(Boolean)
    .map((l) => (/^[dl]/.test(l.split('|')[3] ?? '') ? l.replace(/^((?:[^|]*\|){7})[^|]*/, '$1A') : l))
    .sort();

async function viaFind(chunk?: number): Promise<{ text: string; records: number }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const parser = new FindToBodyfile(out, keep);
  if (chunk) {
    // the same output fed a few bytes at a time: records cut anywhere, even inside a name
    const raw = await execLocal(['find', '-P', root, '-printf', FIND_PRINTF]);
    for (let i = 0; i < raw.stdout.length; i += chunk) parser.write(raw.stdout.subarray(i, i + chunk));
  } else {
    const res = await execLocal(['find', '-P', root, '-printf', FIND_PRINTF], { stdoutTo: parser, maxBuffer: Infinity });
    expect(res.code).toBe(0);
  }
  parser.end();
  await finished(parser);
  return { text, records: parser.records };
}

async function viaWalk(): Promise<string> {
  const t = new LocalHost();
  const lines: string[] = [];
  const stack = [{ path: root, stat: (await t.lstat(root))! }];
  while (stack.length) {
    const { path, stat } = stack.pop()!;
    if (keep(path) === 'prune') continue;
    lines.push(bodyfileLine(path, stat, stat.type === 'symlink' ? await t.readlink(path) : undefined));
    if (stat.type === 'dir') for (const e of await t.list(path)) stack.push({ path: e.path, stat: e.stat });
  }
  return lines.join('');
}

test('find -printf gives the walk\'s bodyfile, pruned subtree left out, odd names escaped', async () => {
  const found = await viaFind();
  const walked = await viaWalk();
  expect(norm(found.text)).toEqual(norm(walked));
  // root, a, sticky and the 8 entries of a; skip/ and the 2 under it are read but dropped
  expect(norm(found.text)).toHaveLength(11);
  expect(found.records).toBe(14);
  expect(found.text).toContain(`|${root}/a/pi\\|pe|`);
  expect(found.text).toContain(`|${root}/a/new\\nline|`);
  expect(found.text).toContain(`|${root}/a/ln -> b c.txt|`);
  expect(found.text).toMatch(/\|-rwsr-xr-x\|/);
  expect(found.text).toMatch(/\|drwxrwxrwt\|/);
  expect(found.text).toMatch(/\|prw-r--r--\|/);
  expect(found.text).not.toContain('hidden');
});

test('records split across chunks at any byte parse the same', async () => {
  const whole = await viaFind();
  for (const n of [1, 7, 64]) expect((await viaFind(n)).text).toBe(whole.text);
});

test("the listing's lines of the paths collected with their own line are left out, whatever the name and wherever a chunk ends", async () => {
  const t = new LocalHost();
  const listing = (await viaFind()).text + bodyfileLine('/srv/caf\u00e9|x', (await t.lstat(root))!);
  // the collection's own lines: an escaped `|`, an escaped newline, a link, a name with a two-byte character
  const own = await Promise.all(['a/pi|pe', 'a/new\nline', 'a/ln'].map(async (n) => bodyfileLine(`${root}/${n}`, (await t.lstat(`${root}/${n}`))!, n === 'a/ln' ? 'b c.txt' : undefined)));
  own.push(bodyfileLine('/srv/caf\u00e9|x', (await t.lstat(root))!));
  const drop = new Set(own.map(bodyfileName));
  expect([...drop]).toEqual([`${root}/a/pi\\|pe`, `${root}/a/new\\nline`, `${root}/a/ln -> b c.txt`, '/srv/caf\u00e9\\|x']);
  const bytes = Buffer.from(listing);
  for (const n of [1, 7, 64, bytes.length]) {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString('utf8')));
    const f = new BodyfileFilter(out, drop);
    for (let i = 0; i < bytes.length; i += n) f.write(bytes.subarray(i, i + n));
    f.end();
    await finished(f);
    const lines = text.split(/\n(?=0\|)/).filter(Boolean);
    expect(lines).toHaveLength(listing.split(/\n(?=0\|)/).filter(Boolean).length - 4);
    expect(lines.map((l) => bodyfileName(l)).filter((name) => drop.has(name))).toEqual([]);
    expect(text).toContain(`|${root}/a/b c.txt|`);
  }
});
