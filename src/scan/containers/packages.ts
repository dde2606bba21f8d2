import { createHash } from 'node:crypto';
import type { Target } from '../../host/target.js';
import { readTextOrNull } from '../../host/target.js';
import { canonicalPath, DpkgIndex } from '../../host/facts/dpkg.js';

/**
 * What the image's package manager says a file should hold: dpkg's md5sums (Debian, Ubuntu), or
 * Alpine's `/lib/apk/db/installed` (`Z:Q1` + base64 SHA-1 per file). Read from the image's own tree,
 * once per image, so a file the container changed is compared with what its image shipped.
 */

export interface Expected {
  pkg: string;
  algo: 'md5' | 'sha1';
  digest: string;
  conffile: boolean;
}

export interface PackageDb {
  /** the database read: dpkg or apk */
  kind: 'dpkg' | 'apk';
  /** owners of these paths looked up in one pass (dpkg's file lists cover only part of the tree) */
  prepare(paths: string[]): Promise<void>;
  expected(path: string): Promise<Expected | null>;
}

/** `/lib/apk/db/installed`: stanzas of `P:` package, `F:` directory, `R:` file, `Z:` checksum (Q1 = base64 SHA-1). */
export function parseApkInstalled(text: string): Map<string, { pkg: string; sha1: string }> {
  const out = new Map<string, { pkg: string; sha1: string }>();
  let pkg = '';
  let dir = '';
  let file = '';
  for (const line of text.split('\n')) {
    if (line === '') {
      pkg = '';
      dir = '';
      file = '';
      continue;
    }
    const k = line.slice(0, 2);
    const v = line.slice(2);
    if (k === 'P:') pkg = v;
    else if (k === 'F:') dir = v;
    else if (k === 'R:') file = `/${dir ? `${dir}/` : ''}${v}`;
    else if (k === 'Z:' && file && v.startsWith('Q1')) {
      out.set(file, { pkg, sha1: Buffer.from(v.slice(2), 'base64').toString('hex') });
      file = '';
    }
  }
  return out;
}

class Dpkg implements PackageDb {
  readonly kind = 'dpkg' as const;
  private readonly sums = new Map<string, Promise<Map<string, string>>>();
  constructor(
    private readonly t: Target,
    private readonly idx: DpkgIndex,
  ) {}

  private md5sums(pkg: string): Promise<Map<string, string>> {
    let p = this.sums.get(pkg);
    if (!p) {
      p = this.idx
        .md5sums(this.t, pkg)
        .then((list) => new Map(list.map((m) => [canonicalPath(m.path), m.md5])))
        .catch(() => new Map<string, string>());
      this.sums.set(pkg, p);
    }
    return p;
  }

  async prepare(paths: string[]): Promise<void> {
    if (paths.length) await this.idx.lookup(this.t, paths).catch(() => undefined);
  }

  async expected(path: string): Promise<Expected | null> {
    const conf = this.idx.conffile(path);
    if (conf && /^[0-9a-f]{32}$/.test(conf.md5)) return { pkg: conf.pkg, algo: 'md5', digest: conf.md5, conffile: true };
    for (const pkg of this.idx.owner(path)) {
      const md5 = (await this.md5sums(pkg)).get(canonicalPath(path));
      if (md5) return { pkg, algo: 'md5', digest: md5, conffile: false };
    }
    return null;
  }
}

class Apk implements PackageDb {
  readonly kind = 'apk' as const;
  constructor(private readonly files: Map<string, { pkg: string; sha1: string }>) {}
  async prepare(): Promise<void> {}
  async expected(path: string): Promise<Expected | null> {
    const e = this.files.get(path);
    return e ? { pkg: e.pkg, algo: 'sha1', digest: e.sha1, conffile: path.startsWith('/etc/') } : null;
  }
}

/** The image's package database, null when it has neither. */
export async function loadPackageDb(image: Target): Promise<PackageDb | null> {
  const idx = await DpkgIndex.load(image).catch(() => null);
  if (idx) return new Dpkg(image, idx);
  const apk = await readTextOrNull(image, '/lib/apk/db/installed', { maxBytes: 64 << 20 }).catch(() => null);
  if (apk) return new Apk(parseApkInstalled(apk));
  return null;
}

/** Digest of a file through a Target, streamed. */
export async function digestOf(t: Target, path: string, algo: 'md5' | 'sha1' | 'sha256'): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of await t.openRead(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
