import pLimit from 'p-limit';
import type { Target } from '../target.js';
import { isMissing, listOrEmpty } from '../target.js';
import { textLines } from './passwd.js';

/** dpkg's own database, read as files so that it works live, over ssh and on an offline `--root`. */
export const DPKG_DIR = '/var/lib/dpkg';
const MAX_DB_FILE = 64 * 1024 * 1024;

export interface Conffile {
  path: string;
  md5: string;
  obsolete: boolean;
}

export interface DpkgPackage {
  name: string;
  arch?: string;
  version?: string;
  /** `install ok installed`, `deinstall ok config-files`… */
  status: string;
  conffiles: Conffile[];
}

/** `/var/lib/dpkg/status`: RFC 822 stanzas; Conffiles is a folded field of ` path md5 [obsolete]` lines. One pass, only the fields used. */
export function parseStatus(text: string): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  let cur: DpkgPackage | null = null;
  let inConffiles = false;
  const flush = () => {
    if (cur?.name) out.push(cur);
    cur = null;
  };
  for (const line of text.split('\n')) {
    if (line === '' || line.trim() === '') {
      flush();
      inConffiles = false;
      continue;
    }
    cur ??= { name: '', status: '', conffiles: [] };
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      if (!inConffiles) continue;
      const m = /^(\/\S.*?)\s+([0-9a-f]{32}|newconffile)(\s+obsolete)?(\s+remove-on-upgrade)?$/.exec(line.trim());
      if (m) cur.conffiles.push({ path: m[1]!, md5: m[2]!, obsolete: Boolean(m[3]) });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    inConffiles = key === 'conffiles';
    if (key === 'package') cur.name = value;
    else if (key === 'status') cur.status = value;
    else if (key === 'architecture') cur.arch = value;
    else if (key === 'version') cur.version = value;
  }
  flush();
  return out;
}

/** Names of the installed packages (`Status: … installed`), from the status file: what the sweep asks. */
export function installedPackages(text: string): Set<string> {
  const out = new Set<string>();
  for (const p of parseStatus(text)) if (/\binstalled$/.test(p.status)) out.add(p.name);
  return out;
}

export interface StatOverride {
  user: string;
  group: string;
  /** permission bits, setuid/setgid included */
  mode: number;
  path: string;
  line: number;
}

/** `/var/lib/dpkg/statoverride` (dpkg-statoverride(1)): `user group mode path`, mode in octal. */
export function parseStatoverride(text: string): StatOverride[] {
  const out: StatOverride[] = [];
  for (const [raw, n] of textLines(text)) {
    const m = /^(\S+)\s+(\S+)\s+([0-7]{3,5})\s+(\/.*)$/.exec(raw.trim());
    if (m) out.push({ user: m[1]!, group: m[2]!, mode: parseInt(m[3]!, 8), path: m[4]!, line: n });
  }
  return out;
}

/** `info/PKG.md5sums`: `md5  path` with the path relative to `/`. */
export function parseMd5sums(text: string): { path: string; md5: string }[] {
  const out: { path: string; md5: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{32})\s+\*?(.+)$/.exec(line);
    if (m) out.push({ md5: m[1]!, path: '/' + m[2]!.replace(/^\/+/, '') });
  }
  return out;
}

/**
 * Merged /usr (Debian 12, Ubuntu 20.04+): dpkg lists `/bin/ls` while the file lives at `/usr/bin/ls`.
 * Ownership is looked up on the /usr form of both.
 */
export function canonicalPath(p: string): string {
  return p.replace(/^\/(bin|sbin|lib|lib32|lib64|libx32)(\/|$)/, '/usr/$1$2');
}

/**
 * The part of the file list that detectors ask about (configuration, executables, unit and rule
 * directories, PAM modules, top-level libraries). The rest (/usr/share/doc, man pages, locales, Python
 * trees) is 95% of the list and is never asked about: leaving it out keeps the index cheap enough for
 * the default scan. `owner()` answers "unknown" outside it, never "unowned".
 */
const INDEXED_SRC = '^/(etc|bin|sbin|home|root|tmp|dev/shm|run|usr/bin|usr/sbin|usr/local|usr/libexec|opt|srv|var|boot|(usr/)?lib(32|64|x32)?/(systemd|udev|modules-load\\.d|modprobe\\.d|NetworkManager|security|[^/]+-linux-gnu/(security/)?[^/]+$)|(usr/)?lib(32|64|x32)/[^/]+$|usr/share/polkit-1)';
const INDEXED = new RegExp(INDEXED_SRC);

/** Package name of an info file: `libc6:amd64.list` → `libc6`. */
function infoPackage(file: string): { pkg: string; base: string } | null {
  const m = /^(.+?)\.list$/.exec(file);
  if (!m) return null;
  return { pkg: m[1]!.replace(/:[^:]+$/, ''), base: m[1]! };
}

export class DpkgIndex {
  /** info file stem (`pkg` or `pkg:arch`) of each package, to find its md5sums */
  readonly infoBase = new Map<string, string>();
  readonly warnings: { path?: string; message: string }[] = [];
  /** dpkg-divert: the diverted path → where the package's file went */
  readonly diversions = new Map<string, string>();
  /** dpkg-statoverride: a mode (setuid bits included) the administrator set for a packaged path */
  readonly statoverrides = new Map<string, StatOverride>();
  private readonly owners = new Map<string, string[]>();

  constructor(readonly packages: Map<string, DpkgPackage>) {}

  /** Reads status, diversions and every `info/*.list`; null when the target has no dpkg database. */
  static async load(t: Target, concurrency = 16): Promise<DpkgIndex | null> {
    let statusText: string;
    try {
      statusText = (await t.readFile(`${DPKG_DIR}/status`, { maxBytes: MAX_DB_FILE })).toString('utf8');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    const pkgs = new Map<string, DpkgPackage>();
    for (const p of parseStatus(statusText)) if (/installed|config-files|half/.test(p.status) && (!pkgs.has(p.name) || /ok installed/.test(p.status))) pkgs.set(p.name, p);
    const idx = new DpkgIndex(pkgs);
    const div = await t.readFile(`${DPKG_DIR}/diversions`, { maxBytes: MAX_DB_FILE }).catch(() => null);
    if (div) {
      // triples: original path, diverted-to path, package (or ":")
      const lines = div.toString('utf8').split('\n');
      for (let i = 0; i + 2 < lines.length; i += 3) idx.diversions.set(canonicalPath(lines[i]!), lines[i + 1]!);
    }
    const so = await t.readFile(`${DPKG_DIR}/statoverride`, { maxBytes: MAX_DB_FILE }).catch(() => null);
    if (so) for (const o of parseStatoverride(so.toString('utf8'))) idx.statoverrides.set(canonicalPath(o.path), o);
    if (!(await idx.loadListsByCommand(t))) await idx.loadListsByFile(t, concurrency);
    // conffiles belong to their package even where a maintainer script created them
    for (const p of pkgs.values()) for (const c of p.conffiles) idx.addOwner(c.path, p.name);
    return idx;
  }

  /** One command on the target instead of a thousand reads (over ssh that is seconds saved); false where commands do not run. */
  private async loadListsByCommand(t: Target): Promise<boolean> {
    let res;
    try {
      res = await t.exec(['find', `${DPKG_DIR}/info`, '-maxdepth', '1', '-name', '*.list', '-type', 'f', '-exec', 'grep', '-H', '-E', INDEXED_SRC, '{}', '+'], { timeoutMs: 60_000, maxBuffer: 256 * 1024 * 1024 });
    } catch {
      return false;
    }
    if (res.code !== 0 && res.stdout.length === 0) return false;
    const prefix = `${DPKG_DIR}/info/`;
    for (const line of res.stdout.toString('utf8').split('\n')) {
      if (!line.startsWith(prefix)) continue;
      const at = line.indexOf('.list:', prefix.length);
      if (at < 0) continue;
      const info = infoPackage(line.slice(prefix.length, at + 5));
      if (!info) continue;
      this.infoBase.set(info.pkg, info.base);
      this.addOwner(line.slice(at + 6), info.pkg);
    }
    return this.owners.size > 0;
  }

  /** Offline: each installed package's `info/NAME.list` or `info/NAME:ARCH.list`, named from the status file (no directory listing). */
  private async loadListsByFile(t: Target, concurrency: number): Promise<void> {
    const limit = pLimit(concurrency);
    let names: string[] | null = null;
    await Promise.all(
      [...this.packages.values()].map((p) =>
        limit(async () => {
          for (const base of p.arch ? [p.name, `${p.name}:${p.arch}`] : [p.name]) {
            let text: string;
            try {
              text = (await t.readFile(`${DPKG_DIR}/info/${base}.list`, { maxBytes: MAX_DB_FILE })).toString('utf8');
            } catch (err) {
              if (!isMissing(err)) this.warnings.push({ path: `${DPKG_DIR}/info/${base}.list`, message: (err as Error).message });
              continue;
            }
            this.infoBase.set(p.name, base);
            for (const line of text.split('\n')) if (INDEXED.test(line)) this.addOwner(line, p.name);
            return;
          }
          // an odd name (another arch than the status says): fall back to the listing once
          names ??= (await listOrEmpty(t, `${DPKG_DIR}/info`)).map((e) => e.name);
          const hit = names.find((n) => n.startsWith(`${p.name}:`) && n.endsWith('.list'));
          if (hit) {
            const text = (await t.readFile(`${DPKG_DIR}/info/${hit}`, { maxBytes: MAX_DB_FILE }).catch(() => Buffer.alloc(0))).toString('utf8');
            this.infoBase.set(p.name, hit.slice(0, -5));
            for (const line of text.split('\n')) if (INDEXED.test(line)) this.addOwner(line, p.name);
          }
        }),
      ),
    );
  }

  private addOwner(path: string, pkg: string): void {
    const k = canonicalPath(path);
    const cur = this.owners.get(k);
    if (!cur) this.owners.set(k, [pkg]);
    else if (!cur.includes(pkg)) cur.push(pkg);
  }

  /** Whether the index can answer for `path` (see INDEXED, plus paths looked up with `lookup`). */
  covers(path: string): boolean {
    return INDEXED.test(path) || INDEXED.test(canonicalPath(path)) || this.extra.has(canonicalPath(path));
  }

  /** Packages that ship `path` (merged-/usr aware); empty when none. */
  owner(path: string): string[] {
    const k = canonicalPath(path);
    return this.owners.get(k) ?? this.extra.get(k) ?? [];
  }

  private readonly extra = new Map<string, string[]>();

  /** Owners of a few paths outside the index (a SUID helper in /usr/lib/openssh): one more pass over the lists. */
  async lookup(t: Target, paths: string[]): Promise<void> {
    const want = new Map<string, string>();
    for (const p of paths) if (!this.covers(p)) for (const form of new Set([p, canonicalPath(p), p.replace(/^\/usr\/(bin|sbin|lib)\//, '/$1/')])) want.set(form, canonicalPath(p));
    if (want.size === 0) return;
    for (const k of want.values()) this.extra.set(k, []);
    const add = (listed: string, pkg: string) => {
      const k = want.get(listed);
      if (k && !this.extra.get(k)!.includes(pkg)) this.extra.get(k)!.push(pkg);
    };
    try {
      const res = await t.exec(['find', `${DPKG_DIR}/info`, '-maxdepth', '1', '-name', '*.list', '-type', 'f', '-exec', 'grep', '-H', '-F', '-x', ...[...want.keys()].flatMap((w) => ['-e', w]), '{}', '+'], { timeoutMs: 60_000 });
      const prefix = `${DPKG_DIR}/info/`;
      for (const line of res.stdout.toString('utf8').split('\n')) {
        const at = line.indexOf('.list:', prefix.length);
        const info = at > 0 ? infoPackage(line.slice(prefix.length, at + 5)) : null;
        if (info) add(line.slice(at + 6), info.pkg);
      }
      return;
    } catch {
      /* offline: read the lists */
    }
    const limit = pLimit(16);
    await Promise.all(
      [...this.infoBase.entries()].map(([pkg, base]) =>
        limit(async () => {
          const text = (await t.readFile(`${DPKG_DIR}/info/${base}.list`, { maxBytes: MAX_DB_FILE }).catch(() => Buffer.alloc(0))).toString('utf8');
          for (const line of text.split('\n')) if (want.has(line)) add(line, pkg);
        }),
      ),
    );
  }

  get size(): number {
    return this.owners.size;
  }

  /** Every owned path (canonical form), for walks that want to compare a directory with the database. */
  ownedPaths(): IterableIterator<string> {
    return this.owners.keys();
  }

  /** The package's shipped md5sums (`info/PKG.md5sums`), empty when it has none. */
  async md5sums(t: Target, pkg: string): Promise<{ path: string; md5: string }[]> {
    const base = this.infoBase.get(pkg) ?? pkg;
    try {
      return parseMd5sums((await t.readFile(`${DPKG_DIR}/info/${base}.md5sums`, { maxBytes: MAX_DB_FILE })).toString('utf8'));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  /** conffile → its package and recorded md5 */
  conffile(path: string): { pkg: string; md5: string } | null {
    for (const pkg of this.owner(path)) {
      const c = this.packages.get(pkg)?.conffiles.find((x) => canonicalPath(x.path) === canonicalPath(path) && !x.obsolete);
      if (c) return { pkg, md5: c.md5 };
    }
    return null;
  }
}
