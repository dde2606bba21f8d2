import type { FileStat } from '../../host/target.js';
import { NotAvailable } from '../../host/target.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { packageOwner, resolveOwners } from '../facts-dpkg.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir } from '../rules/location.js';
import { walk } from '../walk.js';

/** Where users and droppers write: walked on every scan (small). */
const USER_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/home', '/root', '/var/www', '/srv', '/opt'];
/** Pseudo file systems and container layers are not walked even with --deep (layers belong to images; scan them with their own --root). */
const PRUNE = /^\/(proc|sys|dev|run|snap|var\/lib\/(docker|containerd)|var\/snap)(\/|$)/;
/** Toolchains and package caches in homes hold hundreds of thousands of files: skipped by the quick scan, walked with --deep. */
const BULKY = ['.rustup', '.pyenv', '.m2', '.npm', '.gradle', 'node_modules', '.git', 'site-packages'];
/** Image layers of a Docker data root anywhere (`--data-root`): their SUID files belong to images, not to the host. */
const LAYERS = ['overlay2', 'aufs'];
const DANGEROUS_CAPS = /cap_(setuid|setgid|sys_admin|sys_ptrace|sys_module|dac_override|dac_read_search|chown|fowner)/i;

interface Hit {
  path: string;
  stat?: FileStat;
  caps?: string;
}

async function judge(ctx: DetectorContext, c: Collector, h: Hit): Promise<void> {
  const owner = await packageOwner(ctx.facts, h.path);
  const risky = inWorldWritableDir(h.path) || inHomeDir(h.path) || hiddenComponent(h.path);
  if (owner && !risky) return; // package-owned: package-integrity (--deep) tells whether it was changed
  const st = h.stat ?? (await ctx.target.lstat(h.path).catch(() => null)) ?? undefined;
  const reasons: string[] = [];
  let severity: Severity;
  let what: string;
  if (h.caps) {
    what = `file capabilities ${h.caps}`;
    severity = DANGEROUS_CAPS.test(h.caps) ? 'high' : 'medium';
  } else {
    const suid = st ? (st.mode & 0o4000) !== 0 : true;
    what = suid ? `SUID${st && st.mode & 0o2000 ? '+SGID' : ''} (runs as uid ${st?.uid ?? '?'})` : `SGID (runs as gid ${st?.gid ?? '?'})`;
    severity = suid && st?.uid === 0 ? 'high' : 'medium';
  }
  if (risky) {
    severity = 'critical';
    reasons.push('in a temporary, home or hidden directory: a copied shell with the SUID bit is a root backdoor');
  }
  if (owner === null) reasons.push('not shipped by any package');
  else if (owner) reasons.push(`shipped by ${owner}`);
  c.add({
    rule: h.caps ? 'suid.capabilities' : 'suid.setuid',
    key: instanceKey('suid', h.path, h.caps ? 'caps' : 'setid'),
    contentHash: contentHash(st?.mode, st?.uid, st?.size, h.caps),
    severity,
    title: `${h.caps ? 'File capabilities' : 'SUID/SGID file'} outside the package database: ${h.path}`,
    path: h.path,
    evidence: `${h.path} ${what}${st ? ` mode ${st.mode.toString(8)} size ${st.size}` : ''}`,
    attack: 'T1548.001',
    reason: reasons.join('; '),
    remediation: `Preserve ${h.path} (ir collect), then ${h.caps ? 'setcap -r' : 'chmod ug-s'} it or remove it.`,
    mtime: st ? isoFromEpochSeconds(st.mtime) : undefined,
    details: { owner, mode: st?.mode.toString(8), uid: st?.uid, caps: h.caps },
  });
}

/** Live targets: find(1) and getcap(8) on the host are far faster than a walk over sftp. */
async function findLive(ctx: DetectorContext, c: Collector, roots: string[]): Promise<Hit[] | null> {
  const prune = ['/proc', '/sys', '/dev', '/run', '/snap', '/var/lib/docker', '/var/lib/containerd'].flatMap((p) => ['-path', p]).concat([...LAYERS, ...(ctx.deep ? [] : BULKY)].flatMap((n) => ['-name', n]));
  const alternatives = prune.flatMap((x, i) => (i > 0 && i % 2 === 0 ? ['-o', x] : [x]));
  const existing: string[] = [];
  for (const r of roots) if (await ctx.target.lstat(r).catch(() => null)) existing.push(r);
  if (existing.length === 0) return [];
  const argv = ['find', ...existing, '(', ...alternatives, ')', '-prune', '-o', '-type', 'f', '(', '-perm', '-4000', '-o', '-perm', '-2000', ')', '-print0'];
  // getcap has no prune: the quick scan checks the small user directories only, --deep the system ones too
  const capRoots = ctx.deep ? ['/usr', '/opt', '/home', '/root', '/tmp', '/var/tmp', '/srv', '/etc'] : existing.filter((r) => r !== '/root' && r !== '/home');
  const [found, caps] = await Promise.allSettled([
    ctx.target.exec(argv, { privileged: true, timeoutMs: 300_000 }),
    ctx.target.exec(['getcap', '-r', ...capRoots], { privileged: true, timeoutMs: 300_000 }),
  ]);
  if (found.status === 'rejected') {
    if (!(found.reason instanceof NotAvailable)) c.warn(`find: ${(found.reason as Error).message}`);
    return null;
  }
  const res = found.value;
  if (res.code === null) return null;
  if (res.code !== 0) c.warn(`find exited ${res.code}: ${res.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`);
  const hits: Hit[] = res.stdout.toString('utf8').split('\0').filter(Boolean).map((path) => ({ path }));
  if (caps.status === 'rejected') c.warn(`getcap not run (file capabilities not checked): ${(caps.reason as Error).message}`);
  else {
    for (const line of caps.value.stdout.toString('utf8').split('\n')) {
      const m = /^(\/\S+)\s+(?:=\s+)?(\S.*)$/.exec(line.trim());
      if (m) hits.push({ path: m[1]!, caps: m[2]!.trim() });
    }
  }
  return hits;
}

export const suid: Detector = {
  id: 'suid',
  title: 'SUID/SGID files and file capabilities outside the package database or in tmp/home',
  category: 'privilege',
  attack: ['T1548.001'],
  locations: [...USER_DIRS, '/ (whole file system with --deep, without /proc /sys /dev /run /var/lib/docker)', 'security.capability xattr (getcap, live targets)'],
  async run(ctx) {
    const c = new Collector('suid', 'privilege', ctx.target.name);
    const roots = ctx.deep ? ['/'] : USER_DIRS;
    let hits = await findLive(ctx, c, roots);
    if (hits) c.examined = hits.length;
    else {
      hits = [];
      // offline (or no find): walk through the Target; xattrs are not readable through it
      const found = hits;
      const r = await walk(
        ctx.target,
        roots,
        (e) => {
          c.examined++;
          if (e.stat.type === 'file' && e.stat.mode & 0o6000) found.push({ path: e.path, stat: e.stat });
        },
        (dir, err) => c.warn(err.message, dir),
        { prune: (p) => PRUNE.test(p) || LAYERS.includes(p.slice(p.lastIndexOf('/') + 1)) || (!ctx.deep && BULKY.includes(p.slice(p.lastIndexOf('/') + 1))), maxEntries: ctx.deep ? 5_000_000 : 200_000 },
      );
      if (r.truncated) c.warn(`walk stopped after ${r.entries} entries`);
      c.warn('file capabilities (security.capability) are not readable on this target: checked only on live hosts with getcap');
    }
    await resolveOwners(ctx.facts, hits.map((h) => h.path));
    await Promise.all(hits.map((h) => judge(ctx, c, h)));
    return c.result();
  },
};
