import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { packageOwner } from '../facts-dpkg.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir } from '../rules/location.js';
import { startupFiles } from '../rules/startup-files.js';
import { NORMAL, quiet, readLines, stampMtime } from './util.js';

const LD_PRELOAD = /(^|[\s;'"])(export\s+)?LD_PRELOAD\s*=\s*["']?([^\s"';]*)/;

/** A preloaded library is loaded into every dynamically linked process: the classic userland rootkit (libprocesshider, Azazel, Jynx). */
async function judgeLibrary(ctx: DetectorContext, lib: string): Promise<{ severity: Severity; notes: string[] }> {
  const notes: string[] = [];
  let severity: Severity = 'high';
  if (inWorldWritableDir(lib) || inHomeDir(lib) || hiddenComponent(lib)) {
    severity = 'critical';
    notes.push('library in a writable or hidden location');
  }
  const owner = await packageOwner(ctx.facts, lib);
  if (owner === null) {
    severity = 'critical';
    notes.push('library not shipped by any package');
  } else if (owner) notes.push(`library shipped by ${owner}`);
  const st = await ctx.target.stat(lib).catch(() => null);
  if (!st) notes.push('library missing (deleted after loading, or a typo)');
  return { severity, notes };
}

export const ldPreload: Detector = {
  id: 'ld-preload',
  title: 'Dynamic linker hijacking: /etc/ld.so.preload, LD_PRELOAD in environment and profiles, ld.so.conf.d',
  category: 'persistence',
  attack: ['T1574.006'],
  locations: ['/etc/ld.so.preload', '/etc/environment', '/etc/profile', '/etc/profile.d/*', '/etc/bash.bashrc', '~/.bashrc ~/.profile …', '/etc/ld.so.conf', '/etc/ld.so.conf.d/*'],
  async run(ctx) {
    const c = new Collector('ld-preload', 'persistence', ctx.target.name);
    const preload: { line: number; raw: string; lib: string }[] = [];
    const pre = await readLines(ctx.target, c, '/etc/ld.so.preload', { kind: 'preload list', normal: NORMAL.list }, (raw, n) => {
      const line = raw.replace(/#.*/, '').trim();
      for (const lib of line.split(/[\s:]+/).filter(Boolean)) if (preload.length < 1000) preload.push({ line: n, raw, lib });
    });
    if (pre) {
      c.examined++;
      for (const { line: i, raw, lib } of preload) {
        const j = await judgeLibrary(ctx, lib);
        c.add({
          rule: 'ld-preload.preload-file',
          key: instanceKey('ld-preload', '/etc/ld.so.preload', lib),
          contentHash: contentHash(lib, pre.hash),
          severity: j.severity,
          title: `Library preloaded into every process: ${lib}`,
          path: '/etc/ld.so.preload',
          line: i,
          user: 'root',
          evidence: clip(raw.trim(), 300),
          attack: 'T1574.006',
          reason: ['/etc/ld.so.preload makes the dynamic linker load it into every program (a userland rootkit hides files and processes this way)', ...j.notes].join('; '),
          remediation: `Preserve the library and /etc/ld.so.preload (ir collect), then empty the file; check ps and ls from a static busybox, the preloaded library lies to dynamically linked tools.`,
          mtime: isoFromEpochSeconds(pre.stat.mtime),
          details: { library: lib },
        });
      }
    }
    for (const f of await startupFiles(ctx, c)) {
      const hits: { line: number; raw: string; lib: string }[] = [];
      // shell-startup reports padding of these files; this pass only looks for LD_PRELOAD
      const file = await readLines(ctx.target, quiet(c), f.path, { kind: 'shell startup file', normal: Number.MAX_SAFE_INTEGER }, (raw, n) => {
        if (raw.trim().startsWith('#') || hits.length >= 200) return;
        const m = LD_PRELOAD.exec(raw);
        if (m) hits.push({ line: n, raw, lib: m[3] ?? '' });
      });
      if (!file) continue;
      c.examined++;
      for (const { line: i, raw, lib } of hits) {
        const j = lib ? await judgeLibrary(ctx, lib) : { severity: 'medium' as Severity, notes: ['empty value'] };
        c.add({
          rule: 'ld-preload.environment',
          key: instanceKey('ld-preload', f.path, raw.trim()),
          contentHash: contentHash(raw.trim()),
          severity: j.severity,
          title: `LD_PRELOAD set in ${f.path}`,
          path: f.path,
          line: i,
          user: f.user ?? 'root',
          evidence: clip(raw.trim(), 300),
          attack: 'T1574.006',
          reason: [`every program started from ${f.user ? `${f.user}'s` : 'a login'} shell loads ${lib || 'it'}`, ...j.notes].join('; '),
          mtime: isoFromEpochSeconds(file.stat.mtime),
          details: { library: lib },
        });
      }
    }
    // a library directory in a writable place lets anyone shadow libc for every program
    const confs = [{ path: '/etc/ld.so.conf' }, ...(await entriesOf(c, ctx, '/etc/ld.so.conf.d')).filter(isFileish)];
    for (const e of confs) {
      const file = await readLines(ctx.target, c, e.path, { kind: 'library path list', normal: NORMAL.list }, (raw, n) => {
        const dir = raw.replace(/#.*/, '').trim();
        if (!dir.startsWith('/') || !(inWorldWritableDir(dir) || inHomeDir(dir) || hiddenComponent(dir))) return;
        c.add({
          rule: 'ld-preload.library-path',
          key: instanceKey('ld-preload', e.path, dir),
          contentHash: contentHash(dir),
          severity: 'high',
          title: `Library search path in a writable or hidden directory: ${dir}`,
          path: e.path,
          line: n,
          user: 'root',
          evidence: clip(raw.trim(), 300),
          attack: 'T1574.006',
          reason: 'ldconfig adds this directory to the search path of every program',
        });
      });
      if (!file) continue;
      c.examined++;
      stampMtime(c, e.path, file.stat.mtime);
    }
    return c.result();
  },
};
