import { posix } from 'node:path';
import type { LayerChange } from '../../docker/layer.js';
import type { ContainerRecord } from '../../docker/storage.js';
import type { FileStat, Target } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Finding, type ScanWarning, type Severity } from '../../core/finding.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { hiddenComponent, inWorldWritableDir } from '../rules/location.js';
import { suspiciousLines, worst } from '../rules/shell-script.js';
import { SYSTEM_STARTUP, USER_STARTUP } from '../rules/startup-files.js';
import { judgeWebFile } from '../detectors/webshell.js';
import { digestOf, loadPackageDb, type PackageDb } from './packages.js';

/**
 * The writable layer judged: what a container changed since its image, with the host's rules. A
 * container is rebuilt, not edited: a file added after it started is the attacker's until shown
 * otherwise, so additions in the places persistence lives are at least medium.
 */

export const DETECTOR = 'containers';
const ADDED = "added to the container after it started (containers are rebuilt from their image, not edited)";

const WEB_SCRIPT = /\.(php\d?|phtml|phar|inc|jspx?|aspx?|py|cgi|pl)$/i;
/** Where interpreters keep their libraries: a pip install is not a web shell. */
const LIBRARY = /^\/(usr\/(lib|lib64|share|local\/lib|local\/share|include)|lib|lib64|proc|sys)\/|\/(site-packages|dist-packages|node_modules|__pycache__|vendor\/[^/]+\/[^/]+\/(tests?|src\/[A-Z]))\//;
const DEFAULT_APP_DIRS = ['/var/www', '/srv', '/usr/share/nginx/html', '/app', '/code', '/usr/src/app', '/opt', '/home'];
/** Command arguments that are never the app's own code. */
const NOT_APP = /^\/(bin|sbin|usr\/(s?bin|lib|local\/s?bin)|etc|lib\d*|dev|proc|sys|tmp|var\/(log|run|tmp|lib)|run)?(\/|$)/;
const SECURITY_LOG = /^(auth\.log|secure|syslog|messages|kern\.log|audit\.log|wtmp|btmp|lastlog|faillog|daemon\.log|user\.log)(\.\d+)?$/;

const STARTUP_FILES = new Set(SYSTEM_STARTUP.filter((p) => !p.endsWith('/*')));
const STARTUP_DIRS = SYSTEM_STARTUP.filter((p) => p.endsWith('/*')).map((p) => p.slice(0, -1));
const USER_STARTUP_NAMES = new Set(USER_STARTUP);

/** The persistence places whose additions are findings of their own (kind, ATT&CK id). */
function persistenceKind(path: string): { kind: string; attack: string } | null {
  if (/^\/(etc\/(crontab|anacrontab|cron\.(d|hourly|daily|weekly|monthly)\/[^/]+)|var\/spool\/cron\/.+)$/.test(path)) return { kind: 'cron entry', attack: 'T1053.003' };
  if (/\/\.ssh\/authorized_keys2?$|^\/etc\/ssh\/authorized_keys\/[^/]+$|\/\.ssh\/rc$|^\/etc\/ssh\/sshrc$/.test(path)) return { kind: 'SSH key file', attack: 'T1098.004' };
  if (STARTUP_FILES.has(path) || STARTUP_DIRS.some((d) => path.startsWith(d) && !path.slice(d.length).includes('/')) || (USER_STARTUP_NAMES.has(posix.basename(path)) && /^\/(root|home\/[^/]+)\/[^/]+$/.test(path))) return { kind: 'shell startup file', attack: 'T1546.004' };
  if (path === '/etc/ld.so.preload') return { kind: 'library preload', attack: 'T1574.006' };
  if (/^\/etc\/(sudoers|sudoers\.d\/[^/]+|passwd|shadow)$/.test(path)) return { kind: 'account or sudo file', attack: 'T1098' };
  return null;
}

/** Directories of the app's own code: its working directory, the usual web roots, paths its command names. */
export function appDirs(rec: Pick<ContainerRecord, 'workingDir' | 'command'>): string[] {
  const out = new Set(DEFAULT_APP_DIRS);
  if (rec.workingDir && rec.workingDir !== '/') out.add(posix.normalize(rec.workingDir));
  for (const arg of rec.command) {
    for (const m of arg.matchAll(/(?:^|[\s=:"'])(\/[A-Za-z0-9._/-]+)/g)) {
      const p = posix.normalize(m[1]!).replace(/\/+$/, '');
      if (p.split('/').length >= 2 && !NOT_APP.test(p) && !/\.[a-z0-9]{1,5}$/i.test(p)) out.add(p);
    }
  }
  return [...out].filter((d) => d !== '/').sort();
}

export interface LayerJudgeInput {
  rec: ContainerRecord;
  /** the container's files (running view or layers); null when only names are known */
  view: Target | null;
  /** the image's own tree (the package database lives there) */
  image: Target | null;
  changes: LayerChange[];
  /** findings of the detectors on this container, annotated in place where they sit on a change */
  findings: Finding[];
  host: string;
  /** the image's package database, shared by the containers of one image */
  packages?: Promise<PackageDb | null>;
}

interface Head {
  text: string;
  elf: boolean;
  script: boolean;
}

async function head(view: Target | null, path: string, max = 64 * 1024): Promise<Head | null> {
  if (!view) return null;
  const buf = await view.readFile(path, { maxBytes: max }).catch(() => null);
  if (!buf) return null;
  return { text: buf.toString('utf8'), elf: buf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), script: buf.subarray(0, 2).toString('latin1') === '#!' };
}

const isFile = (st?: FileStat) => st?.type === 'file';
const executable = (st?: FileStat) => Boolean(st && st.mode & 0o111);

export async function judgeLayer(input: LayerJudgeInput): Promise<{ findings: Finding[]; warnings: ScanWarning[]; examined: number }> {
  const { rec, view, changes } = input;
  const findings: Finding[] = [];
  const warnings: ScanWarning[] = [];
  let examined = 0;
  const add = (f: Omit<Finding, 'detector' | 'host' | 'key' | 'category'> & { category?: string; keyPart: string }) => {
    const { keyPart, ...rest } = f;
    findings.push({ ...rest, category: f.category ?? 'persistence', detector: DETECTOR, host: input.host, key: instanceKey(DETECTOR, `${f.path ?? ''}`, keyPart) });
  };
  const apps = appDirs(rec);
  const inApp = (p: string) => apps.find((d) => p.startsWith(`${d}/`));
  const byPath = new Map<string, Finding[]>();
  for (const f of input.findings) if (f.path) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);

  const pkgCandidates: LayerChange[] = [];
  for (const c of changes) {
    examined++;
    const where = c.where === 'tmpfs' ? `a tmpfs of the running container (${c.path.split('/').slice(0, 3).join('/')}; gone when it stops)` : 'the writable layer';
    const meta = c.stat ? `${c.stat.size} bytes, mode ${c.stat.mode.toString(8)}, uid ${c.stat.uid}${c.stat.mtime ? `, changed ${isoFromEpochSeconds(c.stat.mtime)}` : ''}` : '';
    const mtime = c.stat?.mtime ? isoFromEpochSeconds(c.stat.mtime) : undefined;
    const details = { change: c.kind, where: c.where, size: c.stat?.size, mode: c.stat?.mode, uid: c.stat?.uid };

    if (c.kind === 'changed' || c.kind === 'deleted') {
      if (c.imageStat?.type === 'file') pkgCandidates.push(c);
    }

    // anti-forensics: the image's logs deleted or cut down
    if (/^\/var\/log\/|\.log(\.\d+)?$/.test(c.path) && c.imageStat?.type === 'file') {
      const security = SECURITY_LOG.test(posix.basename(c.path));
      if (c.kind === 'deleted') {
        add({ rule: 'containers.log-deleted', keyPart: 'log-deleted', contentHash: contentHash('deleted', c.imageStat.size), severity: security ? 'medium' : 'low', title: `Log file deleted in the container: ${c.path}`, path: c.path, evidence: `${c.path} (${c.imageStat.size} bytes in the image) is deleted in the writable layer`, attack: 'T1070.002', category: 'defense-evasion', reason: `${security ? 'a security log' : 'a log'} the image shipped was deleted inside the container`, remediation: 'Compare with the container logs (docker logs) and any central logging; preserve the container (ir collect) before it is removed.', details });
        continue;
      }
      if (c.kind === 'changed' && isFile(c.stat) && c.stat!.size < c.imageStat.size) {
        add({ rule: 'containers.log-truncated', keyPart: 'log-truncated', contentHash: contentHash('truncated', c.stat!.size), severity: security ? 'medium' : 'low', title: `Log file truncated in the container: ${c.path}`, path: c.path, evidence: `${c.path}: ${c.stat!.size} bytes, ${c.imageStat.size} in the image`, attack: 'T1070.002', category: 'defense-evasion', reason: 'a log is shorter than the image shipped it: logs only grow, unless someone cut them', mtime, details });
        continue;
      }
    }
    if (c.kind === 'deleted' || !c.stat) continue;

    // cron entries, SSH keys, shell startup files and their kin added or changed
    const pk = persistenceKind(c.path);
    if (pk && (isFile(c.stat) || c.stat.type === 'symlink')) {
      const covered = byPath.get(c.path) ?? [];
      if (covered.length) {
        for (const f of covered) {
          if (severityRank(f.severity) < severityRank('medium')) f.severity = 'medium';
          f.reason = `${f.reason}; ${pk.kind} ${c.kind === 'added' ? ADDED : 'changed in the container after it started'}`;
        }
        continue;
      }
      const link = c.stat.type === 'symlink' && view ? await view.readlink(c.path).catch(() => '?') : undefined;
      const h = link === undefined ? await head(view, c.path) : null;
      const lines = h ? suspiciousLines(h.text) : [];
      const severity = worst(lines, 'medium');
      const top = lines.find((l) => l.signals.some((s) => s.severity === severity)) ?? lines[0];
      const first = h?.text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'));
      add({ rule: `containers.${pk.kind === 'cron entry' ? 'cron' : pk.kind === 'SSH key file' ? 'ssh-key' : pk.kind === 'shell startup file' ? 'shell-startup' : 'persistence'}-added`, keyPart: 'persistence', contentHash: contentHash(h?.text ?? meta), severity, title: `${pk.kind[0]!.toUpperCase()}${pk.kind.slice(1)} ${c.kind} in the container: ${c.path}`, path: c.path, line: top?.line, evidence: clip(top?.text ?? first?.trim() ?? (link !== undefined ? `${c.path} -> ${link} (a link, not followed out of the container)` : `${c.path} (${meta})`), 500), attack: pk.attack, reason: [...new Set(lines.flatMap((l) => l.signals.map((s) => s.reason)))].concat([`${pk.kind} ${c.kind === 'added' ? ADDED : 'changed in the container after it started'}`]).join('; '), remediation: `Preserve the container (ir collect, or ir isolate --mode stop), then rebuild it from its image; find how ${c.path} was written.`, mtime, details });
      continue;
    }

    if (!isFile(c.stat)) continue;
    // executables and scripts dropped in world-writable or hidden places
    const temp = inWorldWritableDir(c.path);
    const hidden = !temp ? hiddenComponent(posix.dirname(c.path)) : undefined;
    if (temp || hidden) {
      const h = await head(view, c.path, 8192);
      const exe = executable(c.stat);
      const scriptish = h?.script || /\.(sh|py|pl|php|rb|js)$/.test(c.path);
      if (exe || h?.elf || scriptish) {
        let severity: Severity = temp ? (exe || h?.elf ? 'high' : 'medium') : 'medium';
        const reasons = [`${h?.elf ? 'an ELF executable' : scriptish ? 'a script' : 'an executable file'}${exe ? ' with the execute bit' : ''} in ${temp ? `a world-writable directory (${c.path.split('/').slice(0, c.path.startsWith('/var/') || c.path.startsWith('/dev/') || c.path.startsWith('/run/') ? 3 : 2).join('/')})` : `a hidden directory (${hidden})`}`];
        const lines = h && !h.elf ? suspiciousLines(h.text) : [];
        severity = worst(lines, severity);
        reasons.push(...new Set(lines.flatMap((l) => l.signals.map((s) => s.reason))));
        reasons.push(c.where === 'tmpfs' ? `in ${where}` : c.kind === 'added' ? ADDED : 'changed in the container after it started');
        const sha256 = view && c.stat.size <= 256 * 1024 * 1024 ? await digestOf(view, c.path, 'sha256').catch(() => undefined) : undefined;
        add({ rule: temp ? 'containers.temp-executable' : 'containers.hidden-executable', keyPart: 'executable', contentHash: sha256?.slice(0, 16) ?? contentHash(meta), severity, title: `${h?.elf ? 'Executable' : scriptish ? 'Script' : 'Executable file'} dropped in the container: ${c.path}`, path: c.path, evidence: lines[0]?.text ? clip(lines[0].text, 300) : `${c.path} (${meta}${sha256 ? `, sha256 ${sha256}` : ''})`, attack: temp ? 'T1059' : 'T1564.001', reason: reasons.join('; '), remediation: `Preserve it (ir collect stores the writable layer; its sha256 is in the details), find the process that runs it (ir persistence-scan names the container of each process), then stop the container.`, mtime, details: { ...details, sha256, elf: h?.elf } });
        continue;
      }
    }

    // scripts added under the app's code or upload directories: web shells
    if (c.kind === 'added' && WEB_SCRIPT.test(c.path) && !LIBRARY.test(c.path) && (inApp(c.path) || /\/uploads?\//i.test(c.path))) {
      const h = await head(view, c.path, 512 * 1024);
      const v = h ? judgeWebFile(c.path, h.text) : null;
      const dir = inApp(c.path);
      const severity: Severity = v ? maxSeverity(v.severity, 'low') : /\/uploads?\//i.test(c.path) ? 'medium' : 'low';
      add({ rule: v ? `containers.webshell-${v.rule}` : 'containers.app-script-added', keyPart: 'app-script', contentHash: contentHash(h?.text ?? meta), severity, title: v ? `Web shell in the container: ${v.reasons[0]}` : `Script added to the app's code in the container: ${c.path}`, path: c.path, line: v?.line, evidence: clip(v?.evidence ?? h?.text.slice(0, 300) ?? `${c.path} (${meta})`, 300), attack: 'T1505.003', reason: [...(v?.reasons ?? []), `${dir ? `under the app's directory ${dir}` : 'in an upload directory'}`, ADDED].join('; '), remediation: `Preserve ${c.path} and the web server's access logs, find the request that wrote it, then rebuild the container.`, mtime, details });
    }
  }

  // package files changed since the image (the image's dpkg or apk database says what they held)
  if (pkgCandidates.length && view && input.image) {
    const db = await (input.packages ?? loadPackageDb(input.image));
    if (db) {
      const some = pkgCandidates.slice(0, 2000);
      if (pkgCandidates.length > some.length) warnings.push({ detector: DETECTOR, message: `container ${rec.name}: ${pkgCandidates.length} changed files; only the first ${some.length} were checked against the package database` });
      await db.prepare(some.map((c) => c.path));
      for (const c of some) {
        const e = await db.expected(c.path);
        if (!e) continue;
        const crit = /^\/(usr\/)?(s?bin|lib(32|64|x32)?(\/[^/]+-linux-gnu[^/]*)?\/security)\//.test(c.path);
        if (c.kind === 'deleted') {
          if (e.conffile) continue;
          add({ rule: 'containers.package-file-deleted', keyPart: 'package', contentHash: contentHash('deleted'), severity: 'low', title: `Package file deleted in the container: ${c.path} (${e.pkg})`, path: c.path, evidence: `${c.path}, shipped by ${e.pkg}, is deleted in the writable layer`, attack: 'T1070.004', category: 'defense-evasion', reason: 'a file the package installed was removed inside the container', details: { package: e.pkg } });
          continue;
        }
        if (!isFile(c.stat)) continue;
        const got = await digestOf(view, c.path, e.algo).catch(() => undefined);
        if (!got || got === e.digest) continue;
        const severity: Severity = e.conffile ? 'info' : crit ? 'critical' : 'medium';
        add({ rule: e.conffile ? 'containers.conffile-changed' : 'containers.package-file-changed', keyPart: 'package', contentHash: got.slice(0, 16), severity, title: e.conffile ? `Configuration file changed in the container: ${c.path} (${e.pkg})` : `Package file changed in the container: ${c.path} (${e.pkg})`, path: c.path, evidence: `${c.path}: ${e.algo} ${got}, ${e.pkg} shipped ${e.digest}`, attack: 'T1554', category: 'defense-evasion', reason: e.conffile ? `conffile of ${e.pkg} edited inside the container (inventory; the location's own detector judges the content)` : `content no longer matches what ${e.pkg} shipped in the image${crit ? ': a replaced system binary or PAM module is a rootkit until shown otherwise' : ''}`, remediation: e.conffile ? undefined : `Preserve the container (ir collect), then rebuild it from its image.`, mtime: c.stat?.mtime ? isoFromEpochSeconds(c.stat.mtime) : undefined, details: { package: e.pkg, expected: e.digest, actual: got, algo: e.algo } });
      }
    }
  }
  return { findings, warnings, examined };
}
