import pLimit from 'p-limit';
import { NotAvailable } from '../../host/target.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { canonicalPath } from '../../host/facts/dpkg.js';
import { dpkgIndex, md5OfFile } from '../facts-dpkg.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf } from '../rules/judge-file.js';

/** Where a replaced file is a rootkit or a credential stealer: content checked against the package's md5sums. */
const CRITICAL = /^\/usr\/(bin|sbin|lib(32|64|x32)?(\/[^/]+-linux-gnu[^/]*)?\/security)\//;
const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/lib/x86_64-linux-gnu/security', '/usr/lib/aarch64-linux-gnu/security', '/usr/lib/security', '/usr/lib64/security', '/lib/x86_64-linux-gnu/security', '/lib/security', '/lib64/security', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64'];
const BATCH = 400;

/** md5 of many files: md5sum on the target where commands run (fast over ssh), streamed through the Target otherwise. */
async function md5Many(ctx: DetectorContext, c: Collector, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let viaExec = true;
  for (let i = 0; i < paths.length && viaExec; i += BATCH) {
    const batch = paths.slice(i, i + BATCH);
    try {
      const res = await ctx.target.exec(['md5sum', '--', ...batch], { privileged: true, timeoutMs: 300_000 });
      if (res.code === null) throw new Error('md5sum timed out');
      for (const line of res.stdout.toString('utf8').split('\n')) {
        const m = /^([0-9a-f]{32}) [ *](.+)$/.exec(line);
        if (m) out.set(m[2]!, m[1]!);
      }
    } catch (err) {
      if (!(err instanceof NotAvailable)) c.warn(`md5sum on the target failed (${(err as Error).message}); reading files instead`);
      viaExec = false;
    }
  }
  if (viaExec) return out;
  const limit = pLimit(8);
  await Promise.all(
    paths.filter((p) => !out.has(p)).map((p) =>
      limit(async () => {
        try {
          out.set(p, await md5OfFile(ctx.target, p));
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== 'ENOENT' && code !== 'ENOTDIR') c.warn((err as Error).message, p);
        }
      }),
    ),
  );
  return out;
}

export const packageIntegrity: Detector = {
  id: 'package-integrity',
  title: 'Package integrity: binaries and PAM modules against dpkg md5sums, unowned executables, changed conffiles',
  category: 'defense-evasion',
  attack: ['T1554', 'T1036.005'],
  deepOnly: true,
  locations: ['/var/lib/dpkg/status', '/var/lib/dpkg/info/*.list', '/var/lib/dpkg/info/*.md5sums', '/var/lib/dpkg/diversions', '/bin /sbin /usr/bin /usr/sbin /lib*/security /usr/lib*/security', '/usr/lib/*-linux-gnu/*.so*'],
  async run(ctx) {
    const c = new Collector('package-integrity', 'defense-evasion', ctx.target.name);
    const idx = await dpkgIndex(ctx.facts);
    if (!idx) return { ...c.result(), notAvailable: 'no dpkg database (/var/lib/dpkg/status)' };
    for (const w of idx.warnings.slice(0, 20)) c.warn(w.message, w.path);
    // 1. shipped md5sums of files in the critical directories
    const expected = new Map<string, { pkg: string; md5: string; listed: string }>();
    const limit = pLimit(16);
    await Promise.all(
      [...idx.packages.values()]
        .filter((p) => /installed/.test(p.status))
        .map((p) =>
          limit(async () => {
            for (const m of await idx.md5sums(ctx.target, p.name).catch((e: Error) => (c.warn(e.message), []))) {
              const canon = canonicalPath(m.path);
              if (CRITICAL.test(canon) && !idx.diversions.has(canon)) expected.set(canon, { pkg: p.name, md5: m.md5, listed: m.path });
            }
          }),
        ),
    );
    const conffiles = [...idx.packages.values()].flatMap((p) => p.conffiles.filter((x) => !x.obsolete && /^[0-9a-f]{32}$/.test(x.md5)).map((x) => ({ ...x, pkg: p.name })));
    const hashes = await md5Many(ctx, c, [...expected.keys(), ...conffiles.map((x) => x.path)]);
    for (const [path, e] of expected) {
      c.examined++;
      const got = hashes.get(path);
      if (got === e.md5) continue;
      const st = await ctx.target.lstat(path).catch(() => null);
      const missing = !st;
      const severity: Severity = missing ? 'low' : 'critical';
      c.add({
        rule: missing ? 'package-integrity.missing' : 'package-integrity.modified',
        key: instanceKey('package-integrity', path, 'md5'),
        contentHash: contentHash(got ?? (st ? st.type : 'missing')),
        severity,
        title: missing ? `Package file missing: ${path} (${e.pkg})` : `Package binary modified: ${path} (${e.pkg})`,
        path,
        evidence: missing ? `${path} listed in ${e.pkg}.md5sums is gone` : `${path}: md5 ${got ?? `not a regular file (${st?.type})`}, ${e.pkg} shipped ${e.md5}`,
        attack: 'T1554',
        reason: missing ? 'a file the package installed was removed' : 'content no longer matches the md5sum dpkg recorded: a replaced system binary or PAM module is a rootkit or credential stealer until proven otherwise',
        remediation: missing ? undefined : `Preserve ${path} (ir collect), compare with the .deb (apt-get download ${e.pkg}), then apt-get install --reinstall ${e.pkg}.`,
        mtime: st ? isoFromEpochSeconds(st.mtime) : undefined,
        details: { package: e.pkg, expected: e.md5, actual: got },
      });
    }
    // 2. conffiles: changed is normal administration, info unless another detector says more
    for (const x of conffiles) {
      const got = hashes.get(x.path);
      if (!got) continue;
      c.examined++;
      if (got === x.md5) continue;
      c.add({
        rule: 'package-integrity.conffile-changed',
        key: instanceKey('package-integrity', x.path, 'conffile'),
        contentHash: got,
        severity: 'info',
        title: `Configuration file changed from the package default: ${x.path}`,
        path: x.path,
        evidence: `${x.path}: md5 ${got}, ${x.pkg} shipped ${x.md5}`,
        attack: 'T1554',
        reason: `conffile of ${x.pkg} edited (inventory; the location's own detector judges the content)`,
        details: { package: x.pkg, expected: x.md5, actual: got },
      });
    }
    // 3. executables and libraries in system directories that no package ships
    const merged = (await ctx.target.lstat('/bin').catch(() => null))?.type === 'symlink';
    const seen = new Set<string>();
    for (const dir of SYSTEM_DIRS) {
      if (merged && /^\/(bin|sbin|lib|lib64)(\/|$)/.test(dir)) continue;
      const lib = /-linux-gnu$|lib64$/.test(dir);
      for (const e of await entriesOf(c, ctx, dir)) {
        if (e.stat.type !== 'file' || seen.has(canonicalPath(e.path))) continue;
        seen.add(canonicalPath(e.path));
        if (lib && !/\.so(\.[\d.]+)?$/.test(e.name)) continue;
        c.examined++;
        if (idx.owner(e.path).length > 0 || idx.diversions.has(canonicalPath(e.path))) continue;
        const hidden = e.name.startsWith('.');
        c.add({
          rule: 'package-integrity.unowned',
          key: instanceKey('package-integrity', e.path, 'unowned'),
          contentHash: contentHash(e.stat.size, e.stat.mode),
          severity: hidden || CRITICAL.test(canonicalPath(e.path)) ? 'high' : 'medium',
          title: `${lib ? 'Library' : 'Executable'} in a system directory that no package ships: ${e.path}`,
          path: e.path,
          evidence: `${e.path} size ${e.stat.size} mode ${e.stat.mode.toString(8)} uid ${e.stat.uid}`,
          attack: 'T1036.005',
          reason: `files in ${dir} come from packages; this one was copied in by hand${hidden ? ' and has a hidden name' : ''} (admins use /usr/local)`,
          remediation: `Find where it came from (ir timeline around ${isoFromEpochSeconds(e.stat.mtime)}), preserve it, then remove it.`,
          mtime: isoFromEpochSeconds(e.stat.mtime),
        });
      }
    }
    return c.result();
  },
};
