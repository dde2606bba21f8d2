/**
 * Declared inputs (STYLE.md §7): what a detector (`locations`), a sweep check (`reads`) or a collection
 * item (`paths`) says it reads, turned into patterns one batch can fetch. The declarations are written
 * for people first (they are rendered into docs/), so the grammar is small and forgiving:
 *
 * - an entry starts with one or more paths: tokens that begin with `/` or `~/`; the first other token
 *   ends them, and the rest (`(lstat)`, `(+ include)`, `…`) is a note for the reader;
 * - a path is a glob: `*` and `?` and `[…]` within one component, `**` for any depth, `{a,b}` braces;
 * - a path without a glob is that path, and when it is a directory its entries (`/etc/cron.d`: what
 *   a detector lists); a whole tree is `DIR/**`;
 * - `~/` is every account's home directory (from /etc/passwd, on the host);
 * - a note that says `lstat` means names and metadata only, never the content;
 * - a component in capitals (`PID`, `APP`, `CONFIG`) is a placeholder found at run time: the entry is
 *   left to the follow-up batches.
 */

export interface DeclaredInputs {
  /** declaration strings of the units that will run */
  paths: string[];
  /** commands the units run, by exact argv: run inside the batch and served from it */
  commands?: string[][];
}

export interface Pattern {
  /** `/` for an absolute glob, `~` for one under every home */
  base: '/' | '~';
  /** components after the base, each a glob of one name, or `**` */
  comps: string[];
  /** read the content of regular files that match (false: names and metadata only; small: up to 256 KiB) */
  content: boolean | 'small';
  /** components up to this index are names, not globs (a path the host gave: `a*b` is a name) */
  literalUpTo?: number;
}

const PLACEHOLDER = /^[A-Z][A-Z0-9_]+$/;

/** `{a,b}` expansion (not nested), as the shell does it. */
export function expandBraces(s: string): string[] {
  const m = /\{([^{}]*,[^{}]*)\}/.exec(s);
  if (!m) return [s];
  const out: string[] = [];
  for (const alt of m[1]!.split(',')) out.push(...expandBraces(s.slice(0, m.index) + alt + s.slice(m.index + m[0].length)));
  return out;
}

function isGlob(comp: string): boolean {
  return /[*?[]/.test(comp);
}

/** The paths at the start of a declaration, and whether its note asks for metadata only. */
export function declarationPaths(entry: string): { paths: string[]; lstatOnly: boolean } {
  const tokens = entry.trim().split(/\s+/);
  const paths: string[] = [];
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!.replace(/,$/, '');
    if (!t.startsWith('/') && !t.startsWith('~/')) break;
    paths.push(t);
  }
  const note = tokens.slice(i).join(' ');
  return { paths, lstatOnly: /\blstat\b/.test(note) };
}

/** Patterns of one declaration path; none for a placeholder or anything that is not a clean absolute glob. */
export function patternsOf(path: string, content: boolean): Pattern[] {
  const out: Pattern[] = [];
  for (const p of expandBraces(path)) {
    if (p.includes('\n') || p.includes('\0')) continue;
    const base = p.startsWith('~/') ? '~' : '/';
    const comps = p
      .slice(base === '~' ? 2 : 1)
      .split('/')
      .filter((c) => c !== '' && c !== '.');
    if (comps.some((c) => c === '..' || PLACEHOLDER.test(c))) continue;
    if (comps.length === 0) {
      // `/` itself: its entries
      out.push({ base, comps: ['*'], content: false });
      continue;
    }
    out.push({ base, comps, content });
    const last = comps[comps.length - 1]!;
    // a bare path may be a directory: its entries too (a detector lists it), names and metadata only
    if (!isGlob(last) && last !== '**') out.push({ base, comps: [...comps, '*'], content: false });
  }
  return out;
}

/** `/proc/PID/net/tcp`: the file of a network namespace, the same for each of its processes (read once per namespace). */
const NETNS_FILE = /^\/proc\/PID\/net\/([A-Za-z0-9_]+)$/;

/**
 * A declared path with one placeholder component (`/proc/PID/status`): nothing to read up front, but
 * when a unit reads it for some PID, the other templates of the same placeholder are read for that
 * PID in the same follow-up (a container's status, mounts and routes in one round trip).
 */
export interface Template {
  comps: string[];
  /** index of the placeholder component */
  at: number;
  name: string;
}

/** Every pattern of a set of declarations, each once, the per-network-namespace /proc files, the templates. */
export function patternsOfDeclarations(inputs: DeclaredInputs): { patterns: Pattern[]; netnsFiles: string[]; templates: Template[] } {
  const seen = new Map<string, Pattern>();
  const netns = new Set<string>();
  const templates = new Map<string, Template>();
  for (const entry of inputs.paths) {
    const { paths, lstatOnly } = declarationPaths(entry);
    for (const path of paths) {
      for (const x of expandBraces(path)) {
        const m = NETNS_FILE.exec(x);
        if (m) netns.add(m[1]!);
        const comps = x.split('/').filter(Boolean);
        const holes = comps.map((c, i) => (PLACEHOLDER.test(c) ? i : -1)).filter((i) => i >= 0);
        if (x.startsWith('/') && holes.length === 1 && !comps.includes('**')) templates.set(x, { comps, at: holes[0]!, name: comps[holes[0]!]! });
      }
      for (const p of patternsOf(path, !lstatOnly)) {
        const key = `${p.base}/${p.comps.join('/')}`;
        const had = seen.get(key);
        if (had) had.content ||= p.content;
        else seen.set(key, p);
      }
    }
  }
  return { patterns: [...seen.values()], netnsFiles: [...netns], templates: [...templates.values()] };
}

/** The paths `path` brings along through the templates (itself included when it matches one). */
export function templateSiblings(path: string, templates: Template[]): string[] {
  const comps = path.split('/').filter(Boolean);
  const out = new Set<string>();
  for (const t of templates) {
    if (t.comps.length !== comps.length) continue;
    const value = comps[t.at]!;
    if (!t.comps.every((c, i) => i === t.at || pathRegExp([c]).test(`./${comps[i]}`))) continue;
    for (const u of templates) {
      if (u.name !== t.name || u.comps.some((c, i) => i !== u.at && /[*?[]/.test(c))) continue;
      out.add('/' + u.comps.map((c, i) => (i === u.at ? value : c)).join('/'));
    }
  }
  return [...out];
}

const RE_SPECIAL = /[\\^$.|+(){}]/g;

/** One glob component as a POSIX ERE fragment that never crosses a `/`. */
export function componentRegex(comp: string): string {
  let out = '';
  for (let i = 0; i < comp.length; i++) {
    const c = comp[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = comp.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = comp.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      // a bracket never matches a slash, and a backslash inside it is literal in ERE
      out += `[${body.replace(/\//g, '')}]`;
      i = end;
    } else out += c.replace(RE_SPECIAL, '\\$&');
  }
  return out;
}

/**
 * The regex (anchored by find -regex) of a path made of `prefix` and glob components, relative to a
 * root written as `.`: `**` matches the directory itself and anything below it.
 */
export function pathRegex(comps: string[], literalUpTo = 0): string {
  let re = '\\.';
  comps.forEach((c, i) => {
    if (i < literalUpTo) re += `/${c.replace(/[\\^$.|+(){}*?[\]]/g, '\\$&')}`;
    else re += c === '**' ? '(/.*)?' : `/${componentRegex(c)}`;
  });
  return re;
}

/** Same test in JavaScript, for the paths the stream reports (relative, without `./`). */
export function pathRegExp(comps: string[], literalUpTo = 0): RegExp {
  return new RegExp(`^${pathRegex(comps, literalUpTo)}$`);
}
