import pLimit from 'p-limit';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import type { DirEntry } from '../../host/target.js';
import type { ProcessInfo } from '../../host/proc.js';
import { Collector, type Detector } from '../detector.js';
import { runningProcesses } from '../facts-processes.js';
import { contentHash, instanceKey } from '../../core/finding.js';
import { hasShebang, isElf, readHead } from '../rules/exec-target.js';
import { hiddenComponent } from '../rules/location.js';
import { findOnHost, PRINT } from '../rules/find-files.js';
import { walk } from '../walk.js';

/** Where programs do not belong: anyone can write there, and droppers unpack there (Kinsing, TeamTNT, Mirai loaders). */
const TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm'];
/** The quick scan reads the first bytes of files with an exec bit only, at most this many; --deep reads every file. */
const QUICK_READS = 2_000;
const QUICK_PRUNE = /\/(node_modules|\.git|site-packages|__pycache__)$/;
/** More programs than this under one directory of /tmp (an unpacked build tree) become one finding that lists them. */
const PER_TREE = 5;

interface Hit {
  e: DirEntry;
  elf: boolean;
  shebang: string | null;
  hidden: boolean;
  running: ProcessInfo[];
}

/** The directory a hit is grouped under: the first level below the temporary root (`/tmp/build` for `/tmp/build/a/b`). */
function treeOf(path: string): string {
  const root = TEMP_DIRS.find((r) => path.startsWith(r + '/')) ?? '/tmp';
  const rest = path.slice(root.length + 1).split('/');
  return rest.length > 1 ? `${root}/${rest[0]}` : path;
}

/**
 * ELF programs and scripts (a shebang) in temporary directories, hidden ones included: medium; critical
 * when a running process executes one (its exe, or the script an interpreter was given).
 */
export const tmpExecutables: Detector = {
  id: 'tmp-executables',
  title: 'Programs in temporary directories (/tmp, /var/tmp, /dev/shm): ELF files and scripts, critical when running',
  category: 'persistence',
  attack: ['T1105', 'T1564.001'],
  locations: [
    `${TEMP_DIRS.join(' ')} (lstat: the roots)`,
    'their files with an exec bit, 4 levels down (all files with --deep): found by one find on a live host, by a walk offline; the first 128 bytes of each',
    '/proc/*/{exe,cmdline} (live, through the processes fact)',
  ],
  async run(ctx) {
    const c = new Collector('tmp-executables', 'persistence', ctx.target.name);
    const candidates: DirEntry[] = [];
    const seenDirs = new Set<string>();
    let skipped = 0;
    const roots: string[] = [];
    for (const root of TEMP_DIRS) {
      // /run/shm is often a link to /dev/shm: walk it once
      const st = await ctx.target.stat(root).catch(() => null);
      const id = st?.ino !== undefined ? `${st.ino}` : root;
      if (!st || st.type !== 'dir' || seenDirs.has(id) || (await ctx.target.lstat(root).catch(() => null))?.type === 'symlink') continue;
      seenDirs.add(id);
      roots.push(root);
    }
    // a live host: one find (one round trip over ssh); it stays on each temporary file system (-xdev)
    const quickExpr = ['-maxdepth', '4', '(', '-type', 'd', '(', '-name', 'node_modules', '-o', '-name', '.git', '-o', '-name', 'site-packages', '-o', '-name', '__pycache__', ')', '-prune', ')', '-o', '(', '-type', 'f', '-perm', '/111', '-size', '+3c', PRINT, ')'];
    const found = await findOnHost(ctx.target, roots, ['-xdev', ...(ctx.deep ? ['-type', 'f', '-size', '+3c', PRINT] : quickExpr)], ctx.deep ? 1_000_000 : QUICK_READS);
    if (found) {
      for (const f of found.found) candidates.push({ name: f.path.slice(f.path.lastIndexOf('/') + 1), path: f.path, stat: { type: 'file', mode: f.mode, uid: f.uid, gid: f.gid, size: f.size, mtime: f.mtime, atime: f.mtime } });
      if (found.truncated) c.warn(`only the first ${candidates.length} files were read (use --deep for more)`);
    }
    for (const root of found ? [] : roots) {
      const res = await walk(
        ctx.target,
        [root],
        (e) => {
          if (e.stat.type !== 'file' || e.stat.size < 4) return;
          if (!ctx.deep && ((e.stat.mode & 0o111) === 0 || candidates.length >= QUICK_READS)) {
            if ((e.stat.mode & 0o111) !== 0) skipped++;
            return;
          }
          candidates.push(e);
        },
        (dir, err) => c.warn(err.message, dir),
        // droppers sit near the top (/tmp/x, /dev/shm/.x/y): the quick scan goes four levels down and leaves
        // dependency trees and repositories (a build unpacked in /tmp) to --deep, which goes all the way
        { maxDepth: ctx.deep ? 32 : 4, maxEntries: ctx.deep ? 1_000_000 : 10_000, prune: ctx.deep ? undefined : (p) => QUICK_PRUNE.test(p) },
      );
      if (res.truncated) c.warn(`walk stopped after ${res.entries} entries (use --deep for more)`, root);
    }
    if (skipped) c.warn(`${skipped} more files with an exec bit were not read (more than ${QUICK_READS}; use --deep)`);
    const procs = await runningProcesses(ctx.facts);
    const hits: Hit[] = [];
    // reads in parallel: over ssh each is a round trip
    const limit = pLimit(16);
    await Promise.all(
      candidates.map((e) =>
        limit(async () => {
          const head = await readHead(ctx.target, e.path, 128);
          if (!head) return;
          c.examined++;
          const elf = isElf(head);
          const shebang = hasShebang(head) ? head.toString('latin1').split('\n')[0]! : null;
          if (!elf && !shebang) return;
          const running = (procs ?? []).filter((p) => p.exe === e.path || p.argv.slice(1, 3).includes(e.path));
          const hidden = hiddenComponent(e.path) !== undefined;
          hits.push({ e, elf, shebang, hidden, running });
        }),
      ),
    );
    hits.sort((a, b) => a.e.path.localeCompare(b.e.path));
    const trees = new Map<string, Hit[]>();
    for (const h of hits) trees.set(treeOf(h.e.path), [...(trees.get(treeOf(h.e.path)) ?? []), h]);
    for (const [tree, list] of trees) {
      // running programs and hidden ones are always reported one by one; a big tree of ordinary ones as one finding
      const loud = list.filter((h) => h.running.length || h.hidden);
      const quiet = list.filter((h) => !h.running.length && !h.hidden);
      for (const h of loud) add(c, h, procs === null);
      if (quiet.length > PER_TREE) addTree(c, tree, quiet);
      else for (const h of quiet) add(c, h, procs === null);
    }
    return c.result();
  },
};

function add(c: Collector, h: Hit, unknown: boolean): void {
  const { e, elf, shebang, hidden, running } = h;
  const exec = (e.stat.mode & 0o111) !== 0;
  const what = elf ? 'ELF program' : `script (${clip(shebang ?? '', 60)})`;
  const reasons = [
    `${what}${exec ? ' with an exec bit' : ''} in a directory every user can write`,
    ...(hidden ? ['in a hidden file or directory'] : []),
    ...(running.length ? [`running now: ${running.slice(0, 3).map((p) => `pid ${p.pid} (${p.comm})`).join(', ')}`] : []),
    ...(unknown ? ['processes are not readable on this target: whether it runs is unknown'] : []),
  ];
  c.add({
    rule: running.length ? 'tmp-executables.running' : elf ? 'tmp-executables.elf' : 'tmp-executables.script',
    key: instanceKey('tmp-executables', e.path, 'file'),
    contentHash: contentHash(e.stat.size, e.stat.mtime),
    severity: running.length ? 'critical' : 'medium',
    title: `${running.length ? 'Running program' : elf ? 'Program' : 'Script'} in a temporary directory: ${e.path}`,
    path: e.path,
    pid: running[0]?.pid,
    evidence: clip(`${e.path} (${elf ? 'ELF' : 'script'}, ${e.stat.size} bytes, mode ${e.stat.mode.toString(8)}, uid ${e.stat.uid})`, 300),
    attack: hidden ? 'T1564.001' : 'T1105',
    reason: reasons.join('; '),
    remediation: running.length
      ? `Preserve it first (ir collect copies /proc/${running[0]!.pid}/exe and the file), then kill pid ${running.map((p) => p.pid).join(', ')}, remove ${e.path} and find what dropped it.`
      : `Preserve ${e.path} (ir collect), then remove it and find what dropped it (its mtime against the logs).`,
    mtime: isoFromEpochSeconds(e.stat.mtime),
    details: { elf, exec, shebang, size: e.stat.size, mode: e.stat.mode.toString(8), uid: e.stat.uid, running: running.map((p) => ({ pid: p.pid, cmdline: clip(p.cmdline, 200) })) },
  });
}

function addTree(c: Collector, tree: string, list: Hit[]): void {
  const newest = list.reduce((a, b) => (b.e.stat.mtime > a.e.stat.mtime ? b : a));
  c.add({
    rule: 'tmp-executables.tree',
    key: instanceKey('tmp-executables', tree, 'tree'),
    contentHash: contentHash(list.length, newest.e.stat.mtime),
    severity: 'medium',
    title: `${list.length} programs and scripts under ${tree}`,
    path: tree,
    evidence: clip(list.slice(0, 5).map((h) => h.e.path).join(' '), 400),
    attack: 'T1105',
    reason: `${list.filter((h) => h.elf).length} ELF programs and ${list.filter((h) => !h.elf).length} scripts in a directory every user can write (an unpacked tool kit, or a build tree); none is running`,
    remediation: `Find out what ${tree} is (its owner, mtime, the logs around it); preserve it (ir collect) before removing it.`,
    mtime: isoFromEpochSeconds(newest.e.stat.mtime),
    details: { count: list.length, paths: list.slice(0, 50).map((h) => h.e.path) },
  });
}
