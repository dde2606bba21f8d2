import pLimit from 'p-limit';
import { posix } from 'node:path';
import type { FileStat } from '../../host/target.js';
import { NotAvailable, TargetError } from '../../host/target.js';
import { canonicalPath } from '../../host/facts/dpkg.js';
import { decodeFileCaps } from '../../host/facts/capability.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { dpkgIndex, packageOwner, resolveOwners } from '../facts-dpkg.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir } from '../rules/location.js';
import { walk } from '../walk.js';

/** Where users and droppers write: walked on every scan (small). */
const USER_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/home', '/root', '/var/www', '/srv', '/opt'];
/** The program directories, one level deep: a `chmod u+s /usr/bin/find` is the classic, checked on every scan. */
const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'];
/** Pseudo file systems and container layers are not walked even with --deep (layers belong to images; scan them with their own --root). */
const PRUNE = /^\/(proc|sys|dev|run|snap|var\/lib\/(docker|containerd)|var\/snap)(\/|$)/;
/** Toolchains and package caches in homes hold hundreds of thousands of files: skipped by the quick scan, walked with --deep. */
const BULKY = ['.rustup', '.pyenv', '.m2', '.npm', '.gradle', 'node_modules', '.git', 'site-packages'];
/** Image layers of a Docker data root anywhere (`--data-root`): their SUID files belong to images, not to the host. */
const LAYERS = ['overlay2', 'aufs'];
/** Kernel file systems: nothing in them is a program anyone installed. */
const PSEUDO_FS = ['proc', 'sysfs', 'devpts', 'devtmpfs', 'cgroup', 'cgroup2', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf', 'configfs', 'fusectl', 'mqueue', 'binfmt_misc', 'autofs', 'nsfs'];
const DANGEROUS_CAPS = /cap_(setuid|setgid|sys_admin|sys_ptrace|sys_module|dac_override|dac_read_search|chown|fowner|setfcap|sys_rawio)/i;

/**
 * GTFOBins: programs that hand out a shell, or read and write any file, when they run with a set-id bit
 * or capabilities. With a set-id bit any of these is critical, wherever it is and whoever ships it.
 */
export const GTFOBINS = new RegExp(
  '^(' +
    [
      '(ba|da|z|k|mk|c|tc|fi|r?ba|a)?sh', 'busybox', 'python[\\d.]*', 'perl[\\d.]*', 'ruby[\\d.]*', 'php[\\d.-]*', 'node(js)?', 'lua[\\d.]*', 'tclsh[\\d.]*', 'wish', 'expect', 'jjs', 'jrunscript',
      '[gmn]?awk', 'gdb', 'strace', 'ltrace', 'r?vim?(\\.\\w+)?', 'nvim', 'view', 'ed', 'nano', 'pico', 'emacs', 'less', 'more', 'man', 'pg', 'find', 'xargs', 'env', 'nice', 'timeout',
      'stdbuf', 'taskset', 'ionice', 'chroot', 'unshare', 'nsenter', 'setarch', 'flock', 'capsh', 'start-stop-daemon', 'run-parts', 'watch', 'time', 'cp', 'mv', 'dd', 'tee', 'install',
      'chmod', 'chown', 'rsync', 'tar', 'zip', 'make', 'git', 'docker', 'systemctl', 'openssl', 'socat', 'nc', 'ncat', 'netcat', 'curl', 'wget', 'sed', 'cat', 'head', 'tail',
      'base(32|64)', 'xxd', 'od', 'hexdump', 'sort', 'uniq', 'cut', 'diff', 'tac', 'nl', 'fold', 'fmt', 'paste', 'join', 'comm', 'shuf', 'ip', 'sqlite3', 'mysql', 'psql', 'scp',
      'cpulimit', 'rlwrap', 'script', 'logsave', 'busctl', 'run-mailcap', 'aria2c', 'vipw', 'pkexec-shell', 'screen', 'tmux', 'gimp', 'ld\\.so', 'ld-linux.*',
    ].join('|') +
    ')$',
);
/** Shells and interpreters: capabilities on one of these are root for whoever runs it. */
const INTERPRETERS = /^((ba|da|z|k|mk|c|tc|fi|a)?sh|busybox|python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.-]*|node(js)?|lua[\d.]*|tclsh[\d.]*|gdb|[gmn]?awk|r?vim?|nvim|emacs)$/;

/**
 * Set-id files Debian packages ship (bookworm), canonical /usr paths: `u` setuid, `g` setgid. dpkg's
 * md5sums record no modes, so this list (with dpkg-statoverride) is how a bit the package does not
 * ship is told from one it does.
 */
const STOCK_SETID: [RegExp, string][] = [
  [/^\/usr\/bin\/(chfn|chsh|gpasswd|newgrp|passwd|su|mount|umount|sudo|pkexec|fusermount3?|ntfs-3g|newuidmap|newgidmap|ksu|firejail|bwrap|vmware-user-suid-wrapper)$/, 'u'],
  [/^\/usr\/bin\/at$/, 'ug'],
  [/^\/usr\/sbin\/(pppd|exim4|mount\.nfs|mount\.cifs)$/, 'u'],
  [/^\/usr\/lib\/(openssh\/ssh-keysign|dbus-1\.0\/dbus-daemon-launch-helper|(polkit-1|policykit-1)\/polkit-agent-helper-1|xorg\/Xorg\.wrap|eject\/dmcrypt-get-device|chromium\/chrome-sandbox|snapd\/snap-confine|spice-gtk\/spice-client-glib-usb-acl-helper)$/, 'u'],
  [/^\/usr\/lib\/[^/]+-linux-gnu\/lxc\/lxc-user-nic$/, 'u'],
  [/^\/usr\/bin\/(chage|expiry|crontab|ssh-agent|wall|write(\.ul)?|bsd-write|dotlockfile|plocate|mlocate|lockfile|procmail|mutt_dotlock)$/, 'g'],
  [/^\/usr\/sbin\/(unix_chkpwd|pam_extrausers_chkpwd|postdrop|postqueue)$/, 'g'],
  [/^\/usr\/lib\/[^/]+-linux-gnu\/utempter\/utempter$/, 'g'],
];
/** File capabilities Debian packages set in their postinst (setcap): listed, never raised. */
const STOCK_CAPS = /^\/usr\/(bin\/(ping|ping6|arping|clockdiff|mtr-packet|fping6?|dumpcap|rdisc|traceroute6\.iputils|kwin_wayland|gnome-keyring-daemon|newuidmap|newgidmap)|lib\/[^/]+-linux-gnu\/gstreamer1\.0\/gstreamer-1\.0\/gst-ptp-helper|sbin\/(arping|clockdiff))$/;

interface Hit {
  path: string;
  stat?: FileStat;
  caps?: string;
}

const setidBits = (mode: number): string => `${mode & 0o4000 ? 'u' : ''}${mode & 0o2000 ? 'g' : ''}`;

/** As the package ships it: a stock set-id file whose bits are among those its package sets. */
function stockSetid(path: string, mode: number): boolean {
  const canon = canonicalPath(path);
  const want = STOCK_SETID.find(([re]) => re.test(canon))?.[1];
  return want !== undefined && [...setidBits(mode)].every((b) => want.includes(b));
}

async function judge(ctx: DetectorContext, c: Collector, h: Hit): Promise<void> {
  const owner = await packageOwner(ctx.facts, h.path);
  const base = posix.basename(h.path);
  const hidden = hiddenComponent(h.path);
  const risky = inWorldWritableDir(h.path) || inHomeDir(h.path) || Boolean(hidden);
  const st = h.stat ?? (await ctx.target.lstat(h.path).catch(() => null)) ?? undefined;
  const reasons: string[] = [];
  let severity: Severity;
  let what: string;
  let rule: string;
  if (h.caps) {
    rule = 'suid.capabilities';
    what = `file capabilities ${h.caps}`;
    if (INTERPRETERS.test(base)) {
      severity = 'critical';
      reasons.push(`${base} is a shell or interpreter: with ${h.caps} anyone who runs it has those powers (cap_setuid is root)`);
    } else if (GTFOBINS.test(base) && DANGEROUS_CAPS.test(h.caps)) {
      severity = 'critical';
      reasons.push(`${base} can run commands or write files for its user (GTFOBins), and ${h.caps} makes that root`);
    } else if (risky) {
      severity = 'critical';
      reasons.push('in a temporary, home or hidden directory');
    } else if (owner && STOCK_CAPS.test(canonicalPath(h.path))) {
      severity = 'info';
      reasons.push(`${owner} sets these capabilities itself (listed)`);
    } else if (DANGEROUS_CAPS.test(h.caps)) severity = 'high';
    else severity = owner ? 'low' : 'medium';
  } else {
    const mode = st?.mode ?? 0o4000;
    const suid = (mode & 0o4000) !== 0;
    rule = 'suid.setuid';
    what = suid ? `SUID${mode & 0o2000 ? '+SGID' : ''} (runs as uid ${st?.uid ?? '?'})` : `SGID (runs as gid ${st?.gid ?? '?'})`;
    const idx = await dpkgIndex(ctx.facts);
    const override = idx?.statoverrides.get(canonicalPath(h.path));
    const gtfo = GTFOBINS.test(base);
    if (!risky && !gtfo && owner !== null && stockSetid(h.path, mode)) return; // as its package ships it
    if (gtfo) {
      severity = 'critical';
      reasons.push(`${base} with a set-id bit gives a shell or any file to whoever runs it (GTFOBins): no package ships it so`);
    } else if (risky) {
      severity = 'critical';
      reasons.push('in a temporary, home or hidden directory: a copied shell with the SUID bit is a root backdoor');
    } else if (override && (override.mode & 0o7777) === (mode & 0o7777)) {
      severity = 'info';
      reasons.push(`mode set by dpkg-statoverride (${override.user}:${override.group} ${override.mode.toString(8)}), an administrator's choice (listed)`);
    } else if (owner) {
      severity = suid && st?.uid === 0 ? 'high' : 'medium';
      reasons.push(`${owner} ships ${h.path} without this bit (not among the set-id files Debian packages ship, no dpkg-statoverride)`);
    } else severity = suid && st?.uid === 0 ? 'high' : 'medium';
  }
  if (owner === null) reasons.push('not shipped by any package');
  else if (owner && !reasons.some((r) => r.includes(owner))) reasons.push(`shipped by ${owner}`);
  c.add({
    rule,
    key: instanceKey('suid', h.path, h.caps ? 'caps' : 'setid'),
    contentHash: contentHash(st?.mode, st?.uid, st?.size, h.caps),
    severity,
    title: h.caps ? `File capabilities ${h.caps} on ${h.path}` : `${severity === 'info' ? 'SUID/SGID file' : 'SUID/SGID bit no package ships'}: ${h.path}`,
    path: h.path,
    evidence: `${h.path} ${what}${st ? ` mode ${st.mode.toString(8)} size ${st.size}` : ''}`,
    attack: h.caps ? 'T1548' : 'T1548.001',
    reason: reasons.join('; '),
    remediation: severity === 'info' ? undefined : `Preserve ${h.path} (ir collect), then ${h.caps ? `setcap -r ${h.path}` : `chmod ug-s ${h.path}`} or remove it; if a package owns it, apt-get install --reinstall that package.`,
    mtime: st ? isoFromEpochSeconds(st.mtime) : undefined,
    details: { owner, mode: st?.mode.toString(8), uid: st?.uid, caps: h.caps },
  });
}

/** `getcap -r` output: `/path cap_net_raw=ep` (libcap ≥ 2.41) or `/path = cap_net_raw+ep` (older). */
function parseGetcap(text: string): Hit[] {
  const out: Hit[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\/\S+)\s+(?:=\s+)?(\S.*)$/.exec(line.trim());
    if (m) out.push({ path: m[1]!, caps: m[2]!.trim() });
  }
  return out;
}

/** Live targets: find(1) and getcap(8) on the host are far faster than a walk over sftp. */
async function findLive(ctx: DetectorContext, c: Collector, roots: string[]): Promise<Hit[] | null> {
  // pseudo file systems are pruned by type too, wherever they are mounted (a build chroot's proc under /tmp)
  const prune = ['/proc', '/sys', '/dev', '/run', '/snap', '/var/lib/docker', '/var/lib/containerd']
    .flatMap((p) => ['-path', p])
    .concat([...LAYERS, ...(ctx.deep ? [] : BULKY)].flatMap((n) => ['-name', n]))
    .concat(PSEUDO_FS.flatMap((t) => ['-fstype', t]));
  const alternatives = prune.flatMap((x, i) => (i > 0 && i % 2 === 0 ? ['-o', x] : [x]));
  // which roots exist: asked together (over ssh, one round trip's worth instead of fifteen)
  const [rootStats, binStats] = await Promise.all([Promise.all(roots.map((r) => ctx.target.lstat(r).catch(() => null))), Promise.all((ctx.deep ? [] : BIN_DIRS).map((d) => ctx.target.lstat(d).catch(() => null)))]);
  const existing = roots.filter((_, i) => rootStats[i]);
  // merged /usr: /bin is a link to usr/bin, searched once
  const bins = (ctx.deep ? [] : BIN_DIRS).filter((_, i) => binStats[i]?.type === 'dir');
  const setid = ['-type', 'f', '(', '-perm', '-4000', '-o', '-perm', '-2000', ')', '-print0'];
  const argv = ['find', ...existing, '(', ...alternatives, ')', '-prune', '-o', ...setid];
  // getcap has no prune: the quick scan checks the small user directories and the program directories, --deep the system ones too
  const capRoots = ctx.deep ? ['/usr', '/opt', '/home', '/root', '/tmp', '/var/tmp', '/srv', '/etc'] : [...existing.filter((r) => r !== '/root' && r !== '/home'), ...bins];
  const [found, foundBins, caps] = await Promise.allSettled([
    existing.length ? ctx.target.exec(argv, { privileged: true, timeoutMs: 300_000 }) : Promise.resolve(null),
    bins.length ? ctx.target.exec(['find', ...bins, '-maxdepth', '1', ...setid], { privileged: true, timeoutMs: 60_000 }) : Promise.resolve(null),
    ctx.target.exec(['getcap', '-r', ...capRoots], { privileged: true, timeoutMs: 300_000 }),
  ]);
  if (found.status === 'rejected') {
    if (!(found.reason instanceof NotAvailable)) c.warn(`find: ${(found.reason as Error).message}`);
    return null;
  }
  const hits: Hit[] = [];
  for (const r of [found, foundBins]) {
    if (r.status !== 'fulfilled' || !r.value) continue;
    if (r.value.code === null) return null;
    // a file that vanished during the walk (a temp file) is not an error; a directory find could not read is
    const problems = r.value.stderr.toString('utf8').split('\n').filter((l) => l.trim() && !/No such file or directory$/.test(l));
    if (r.value.code !== 0 && problems.length) c.error(`find exited ${r.value.code}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    for (const path of r.value.stdout.toString('utf8').split('\0').filter(Boolean)) if (!hits.some((h) => h.path === path)) hits.push({ path });
  }
  if (caps.status === 'rejected' || caps.value.code === 127) {
    const why = caps.status === 'rejected' ? (caps.reason as Error).message : 'not installed (Debian package libcap2-bin)';
    c.warn(`getcap: ${why}: file capabilities were not checked`);
    c.unread(undefined, 'file capabilities not checked (no getcap on the host)');
  } else hits.push(...parseGetcap(caps.value.stdout.toString('utf8')));
  return hits;
}

/** Offline: security.capability of each executable the walks saw, through the target's xattrs (getfattr here, on the image). */
async function capsOffline(ctx: DetectorContext, c: Collector, files: string[]): Promise<Hit[]> {
  const read = ctx.target.xattrs?.bind(ctx.target);
  if (!read) {
    c.warn('file capabilities (security.capability) are not readable on this target');
    c.unread(undefined, 'file capabilities not checked (extended attributes not readable on this target)');
    return [];
  }
  const out: Hit[] = [];
  const limit = pLimit(8);
  let missing: string | undefined;
  await Promise.all(
    files.map((p) =>
      limit(async () => {
        if (missing) return;
        try {
          const v = (await read(p, ['security.capability']))['security.capability'];
          const caps = v ? decodeFileCaps(v) : null;
          if (caps) out.push({ path: p, caps: caps.text });
        } catch (err) {
          if (err instanceof NotAvailable) missing = err.message;
          else if (!(err instanceof TargetError && err.code === 'ENOENT')) c.warn((err as Error).message, p);
        }
      }),
    ),
  );
  if (missing) {
    c.warn(`file capabilities not checked: ${missing.replace(/: not available offline$/, '')}`);
    c.unread(undefined, 'file capabilities not checked (getfattr is not installed here; Debian package attr)');
  }
  return out;
}

export const suid: Detector = {
  id: 'suid',
  title: 'SUID/SGID bits no package ships (GTFOBins-capable ones critical anywhere), and file capabilities',
  category: 'privilege',
  attack: ['T1548.001', 'T1548'],
  locations: [...USER_DIRS, `${BIN_DIRS.join(' ')} (one level)`, '/ (whole file system with --deep, without /proc /sys /dev /run /var/lib/docker)', '/var/lib/dpkg/statoverride', 'security.capability xattr (getcap on live hosts; getfattr here on an offline root)'],
  async run(ctx) {
    const c = new Collector('suid', 'privilege', ctx.target.name);
    const roots = ctx.deep ? ['/'] : USER_DIRS;
    let hits = await findLive(ctx, c, roots);
    if (hits) c.examined = hits.length;
    else {
      // offline (or no find): walk through the Target; capabilities through its xattrs
      const found: Hit[] = [];
      const executables: string[] = [];
      // capabilities: every executable the walk sees; in the program directories of a quick scan, only the
      // shells, interpreters and GTFOBins programs (one getfattr each: a thousand would cost seconds)
      const onEntry = (e: { name: string; path: string; stat: FileStat }, programsOnly = false) => {
        c.examined++;
        if (e.stat.type !== 'file') return;
        if (e.stat.mode & 0o6000) found.push({ path: e.path, stat: e.stat });
        if (e.stat.mode & 0o111 && (!programsOnly || GTFOBINS.test(e.name) || INTERPRETERS.test(e.name))) executables.push(e.path);
      };
      const prune = (p: string) => PRUNE.test(p) || LAYERS.includes(p.slice(p.lastIndexOf('/') + 1)) || (!ctx.deep && BULKY.includes(p.slice(p.lastIndexOf('/') + 1)));
      const r = await walk(ctx.target, roots, onEntry, (dir, err) => c.error(err.message, dir), { prune, maxEntries: ctx.deep ? 5_000_000 : 200_000 });
      if (r.truncated) {
        c.warn(`walk stopped after ${r.entries} entries`);
        c.unread(undefined, `walk stopped after ${r.entries} entries`);
      }
      if (!ctx.deep) {
        // merged /usr: /bin is a link to usr/bin, walked once
        const bins: string[] = [];
        for (const d of BIN_DIRS) if ((await ctx.target.lstat(d).catch(() => null))?.type === 'dir') bins.push(d);
        await walk(ctx.target, bins, (e) => onEntry(e, true), (dir, err) => c.error(err.message, dir), { maxDepth: 1 });
      }
      hits = [...found, ...(await capsOffline(ctx, c, executables))];
    }
    await resolveOwners(ctx.facts, hits.map((h) => h.path));
    await Promise.all(hits.map((h) => judge(ctx, c, h)));
    return c.result();
  },
};
