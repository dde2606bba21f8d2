import { pathRegex as regexOf, pathRegExp as regExpOf, type Pattern } from './declared.js';

/**
 * How one batch walks the host: one `find` per root (a top-level directory, or every home for `~/`
 * patterns), told by three regexes which directories to enter, which entries to report and which
 * files to read. The parent directory of every pattern's last component is listed completely (a
 * detector lists the directory, then picks names), so a name it does not hold is known to be absent
 * without asking the host again. Pseudo file systems (/proc, /sys) report only what matches: a
 * complete listing of every /proc/PID would be most of the stream.
 */
export interface RootPlan {
  /** the root as declared; null for the homes (each home from /etc/passwd, on the host) */
  root: string | null;
  /** /proc or /sys: files report size 0 and are read by `cat` with framing, never by tar */
  pseudo: boolean;
  /** regexes on `./relative` paths (find -regex, POSIX ERE) */
  descend: string[];
  print: string[];
  content: string[];
  /** files read only up to SMALL_FILE (siblings of a file a follow-up fetched: the next ones a unit reads) */
  small: string[];
  /** directories whose listing the stream holds completely (`./relative`) */
  complete: RegExp[];
  /** names looked for in the directories the walk entered: one the stream does not report is absent */
  probes: { dir: RegExp; name: string }[];
  /** skip this root when it is the same directory as that one (merged /usr: /lib is /usr/lib) and the other covers it */
  sameAs?: string;
}

export interface CommandPlan {
  id: number;
  argv: string[];
  timeoutMs: number;
}

export interface BatchPlan {
  roots: RootPlan[];
  /** lstat of these paths (the roots themselves, /): so that links like /lib -> usr/lib resolve in the snapshot */
  probes: string[];
  commands: CommandPlan[];
  /** largest file whose content the stream carries */
  maxFileBytes: number;
  /** /proc/PID/net files read for one process per network namespace */
  netnsFiles: string[];
  /**
   * where the target's `/` is on the host that runs the script (an image, a container's layer):
   * every walk starts under it, and a root that resolves out of it (an absolute link) is not walked
   */
  prefix?: string;
  /**
   * files of /proc and /sys named in full, read by `cat` at that very path: a link on the way
   * (/proc/net is self/net) is followed by the host as it would be for anyone reading them
   */
  pseudoFiles: string[];
}

const PSEUDO = new Set(['proc', 'sys']);

/** /proc files that are memory, not text: never read by a batch */
const UNREADABLE = /^\/proc\/(kcore|kmsg|(\d+|self)\/(mem|pagemap|exe|cwd|root|fd\/.*|map_files\/.*))$/;

function isGlob(comp: string): boolean {
  return comp === '**' || /[*?[]/.test(comp);
}

/** `/var/www/**` is the directory and everything below it: as `/var/www/**\/*`. */
function normalized(p: Pattern): string[] {
  return p.comps[p.comps.length - 1] === '**' ? [...p.comps, '*'] : p.comps;
}

/** the cap of `small` contents */
export const SMALL_FILE = 256 * 1024;

function addRegexes(rp: RootPlan, comps: string[], content: boolean | 'small', lit = 0): void {
  const k = comps.length;
  const pathRegex = (c: string[]) => regexOf(c, lit);
  const pathRegExp = (c: string[]) => regExpOf(c, lit);
  // the directories on the way to the leaf: entered and reported
  for (let i = 1; i < k; i++) {
    const re = pathRegex(comps.slice(0, i));
    rp.descend.push(re);
    rp.print.push(re);
  }
  const parent = comps.slice(0, k - 1);
  const complete = (dirComps: string[]) => {
    const re = pathRegExp(dirComps);
    if (!rp.complete.some((r) => r.source === re.source)) rp.complete.push(re);
  };
  // a level that matches every name lists its directory completely (/proc for `/proc/*/stat`)
  for (let i = lit; i < k; i++) if (comps[i] === '*' || comps[i] === '**') complete(comps.slice(0, i));
  // a literal name under a directory the walk enters: reported when it exists, so absent when not
  for (let i = 0; i < k; i++) {
    if (i >= lit && isGlob(comps[i]!)) continue;
    if (comps.slice(0, i).includes('**')) continue;
    const dir = pathRegExp(comps.slice(0, i));
    if (!rp.probes.some((pr) => pr.name === comps[i] && pr.dir.source === dir.source)) rp.probes.push({ dir, name: comps[i]! });
  }
  if (rp.pseudo) rp.print.push(pathRegex(comps));
  else {
    // every entry of the leaf directory (`.` when the pattern is one component under the root)
    rp.print.push(`${pathRegex(parent)}/[^/]+`);
    complete(parent);
  }
  // a wildcard read in /proc or /sys could open /proc/kmsg, which blocks: there only named files are
  // read, and those named in full are read at their path (pseudoFiles)
  const named = comps.every((c, i) => i < lit || !isGlob(c));
  if (content && (!rp.pseudo || (!named && !isGlob(comps[k - 1]!)))) (content === 'small' ? rp.small : rp.content).push(pathRegex(comps));
}

function emptyRoot(root: string | null, pseudo: boolean): RootPlan {
  return { root, pseudo, descend: [], print: [], content: [], small: [], complete: [], probes: [] };
}

function dedupe(rp: RootPlan): RootPlan {
  return { ...rp, descend: [...new Set(rp.descend)], print: [...new Set(rp.print)], content: [...new Set(rp.content)], small: [...new Set(rp.small)] };
}

const MERGED = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Groups patterns by root. A pattern whose first component is a glob (`/lib*\/security`) is rooted
 * at `/`; everything else at its top-level directory, so a host is walked by a handful of finds.
 */
export function planRoots(patterns: Pattern[]): RootPlan[] {
  const roots = new Map<string, RootPlan>();
  const get = (key: string, root: string | null, pseudo: boolean) => {
    let rp = roots.get(key);
    if (!rp) roots.set(key, (rp = emptyRoot(root, pseudo)));
    return rp;
  };
  for (const p of patterns) {
    const comps = normalized(p);
    const lit = p.literalUpTo ?? 0;
    if (p.base === '~') {
      addRegexes(get('~', null, false), comps, p.content, lit);
      continue;
    }
    const first = comps[0]!;
    if ((lit === 0 && isGlob(first)) || comps.length === 1) {
      addRegexes(get('/', '/', false), comps, p.content, lit);
      continue;
    }
    const rp = get(`/${first}`, `/${first}`, PSEUDO.has(first));
    addRegexes(rp, comps.slice(1), p.content, Math.max(0, lit - 1));
  }
  // merged /usr: /lib/x is /usr/lib/x; when every /lib pattern is also asked under /usr, walk it once
  for (const top of MERGED) {
    const lib = roots.get(`/${top}`);
    const usr = roots.get('/usr');
    if (!lib || !usr) continue;
    const under = (re: string) => re.replace(/^\\\./, `\\./${top}`);
    const covered = (mine: string[], theirs: string[]) => mine.every((re) => theirs.includes(under(re)));
    if (covered(lib.print, usr.print) && covered(lib.content, usr.content) && covered(lib.small, usr.small)) lib.sameAs = `/usr/${top}`;
  }
  return [...roots.values()].map(dedupe);
}

/** The plan of a batch: roots from patterns, the probes that make paths resolve, the commands. */
export function makePlan(patterns: Pattern[], opts: { commands?: string[][]; maxFileBytes: number; commandTimeoutMs?: number; extraProbes?: string[]; netnsFiles?: string[]; prefix?: string }): BatchPlan {
  // under a prefix there is no /proc of the target, and no command runs in it
  const prefix = opts.prefix && opts.prefix !== '/' ? opts.prefix.replace(/\/+$/, '') : undefined;
  if (prefix) {
    patterns = patterns.filter((p) => !(p.base === '/' && PSEUDO.has(normalized(p)[0]!)));
    opts = { ...opts, commands: [], netnsFiles: [] };
  }
  const roots = planRoots(patterns);
  const probes = new Set<string>(['/']);
  for (const r of roots) if (r.root && r.root !== '/') probes.add(r.root);
  for (const top of MERGED) probes.add(`/${top}`);
  for (const p of opts.extraProbes ?? []) probes.add(p);
  const pseudoFiles = new Set<string>();
  for (const p of patterns) {
    const comps = normalized(p);
    const lit = p.literalUpTo ?? 0;
    const path = `/${comps.join('/')}`;
    if (p.base === '/' && p.content && PSEUDO.has(comps[0]!) && comps.every((c, i) => i < lit || !isGlob(c)) && !UNREADABLE.test(path)) pseudoFiles.add(path);
  }
  return {
    roots,
    ...(prefix ? { prefix } : {}),
    pseudoFiles: [...pseudoFiles],
    probes: [...probes],
    commands: (opts.commands ?? []).map((argv, id) => ({ id, argv, timeoutMs: opts.commandTimeoutMs ?? 60_000 })),
    maxFileBytes: opts.maxFileBytes,
    netnsFiles: (opts.netnsFiles ?? []).filter((f) => /^[A-Za-z0-9_]+$/.test(f)),
  };
}

/** The order in which the script walks the roots (pseudo file systems first: volatile): root numbers index it. */
export function orderedRoots(plan: BatchPlan): RootPlan[] {
  return [...plan.roots].sort((a, b) => Number(b.pseudo) - Number(a.pseudo));
}
