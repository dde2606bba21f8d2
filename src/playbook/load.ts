import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { UserError } from '../core/errors.js';
import { RUN_FLAGS, type Catalog } from './catalog.js';
import { Playbook, REPORT_COMMAND, Step, VarSpec, When } from './schema.js';
import { BUILTIN_VARS, templateNames } from './template.js';

/** The playbooks shipped with ir (`playbooks/` next to `dist/` and `src/`). */
export const BUNDLED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'playbooks');
export const USER_DIR = join(homedir(), '.config', 'ir', 'playbooks');

export interface PlaybookIssue {
  file: string;
  line: number;
  col: number;
  /** where in the playbook, e.g. `steps[2].with.fail-on` */
  path: string;
  message: string;
}

export class PlaybookError extends UserError {
  constructor(public readonly issues: PlaybookIssue[]) {
    super(issues.map(formatIssue)[0] ?? 'invalid playbook', issues.length > 1 ? `${issues.length - 1} more: ir playbook validate` : undefined);
    this.name = 'PlaybookError';
  }
}

export function formatIssue(i: PlaybookIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

export interface LoadedPlaybook {
  playbook: Playbook;
  file: string;
  text: string;
  /** bundled, user (~/.config/ir/playbooks or --playbooks) or a file given by path */
  origin: 'bundled' | 'user' | 'file';
}

function pathString(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** The line and column of the YAML node at `path`, or of its nearest parent that exists. */
function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const p = lc.linePos(node.range[0]);
      return { line: p.line, col: p.col };
    }
  }
  return { line: 1, col: 1 };
}

/** One step against the variables and its command's flags. */
function checkStep(s: Step, i: number, known: Set<string>, catalog: Catalog | undefined, issue: (path: readonly PropertyKey[], message: string) => PlaybookIssue): PlaybookIssue[] {
  const issues: PlaybookIssue[] = [];
  for (const v of [s.when?.set, s.when?.unset]) if (v !== undefined && !known.has(v)) issues.push(issue(['steps', i, 'when'], `expected a variable of vars or a built-in, got ${v}`));
  s.args.forEach((a, j) => {
    for (const t of templateNames(a)) if (!known.has(t)) issues.push(issue(['steps', i, 'args', j], `unknown template {{${t}}}: expected one of ${[...known].join(', ')}`));
  });
  for (const [k, v] of Object.entries(s.with)) {
    for (const str of (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')) {
      for (const t of templateNames(str)) if (!known.has(t)) issues.push(issue(['steps', i, 'with', k], `unknown template {{${t}}}: expected one of ${[...known].join(', ')}`));
    }
  }
  if (s.command === REPORT_COMMAND) {
    for (const k of Object.keys(s.with).filter((k) => !['formats', 'compare'].includes(k))) issues.push(issue(['steps', i, 'with', k], 'the report step takes formats (md, html) and compare (last_run)'));
    return issues;
  }
  if (!catalog) return issues;
  const flags = catalog.get(s.command);
  if (!flags) {
    issues.push(issue(['steps', i, 'command'], `unknown command ${s.command}: expected one of ${[...catalog.keys(), REPORT_COMMAND].filter((c) => !/^(playbook|autocomplete|help)\b/.test(c)).sort().join(', ')}`));
    return issues;
  }
  for (const [k, v] of Object.entries(s.with)) {
    const path = ['steps', i, 'with', k];
    if ((RUN_FLAGS as readonly string[]).includes(k)) {
      issues.push(issue(path, `--${k} is set by the run (--host, --hosts, --root, -i, --sudo…), not by a step`));
      continue;
    }
    const f = flags[k];
    if (!f) {
      issues.push(issue(path, `${s.command} has no flag --${k}: expected one of ${Object.keys(flags).filter((n) => !(RUN_FLAGS as readonly string[]).includes(n)).join(', ')}`));
      continue;
    }
    if (f.type === 'boolean' && typeof v !== 'boolean') issues.push(issue(path, `--${k} is a switch: expected true or false`));
    if (f.type === 'boolean' && v === false && !f.allowNo) issues.push(issue(path, `--${k} has no --no-${k}: leave it out instead of false`));
    if (f.type === 'option' && typeof v === 'boolean') issues.push(issue(path, `--${k} takes a value: expected a string or number`));
    if (Array.isArray(v) && !f.multiple) issues.push(issue(path, `--${k} is given once: expected one value, not a list`));
    if (f.options && (typeof v === 'string' || typeof v === 'number')) {
      const s2 = String(v);
      if (templateNames(s2).length === 0 && !f.options.includes(s2)) issues.push(issue(path, `expected one of ${f.options.join(', ')}, got ${s2}`));
    }
  }
  return issues;
}

/** The keys the playbook format allows in the object at `path` (the playbook, a step, its `when`, a variable). */
function keysAt(path: readonly PropertyKey[]): string[] | undefined {
  const shape = path.length === 0 ? Playbook.shape : path[0] === 'steps' && path.length === 2 ? Step.shape : path[0] === 'steps' && path.length === 3 && path[2] === 'when' ? When.shape : path[0] === 'vars' && path.length === 2 ? VarSpec.shape : undefined;
  return shape && Object.keys(shape);
}

/** Parses and checks a playbook: YAML syntax, the schema, then every step against the commands' flags. */
export function checkPlaybook(text: string, file: string, catalog?: Catalog): { playbook?: Playbook; issues: PlaybookIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      issues: doc.errors.map((e) => {
        const p = lc.linePos(e.pos[0]);
        return { file, line: p.line, col: p.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const raw = doc.toJS() as unknown;
  const parsed = Playbook.safeParse(raw);
  const issue = (path: readonly PropertyKey[], message: string): PlaybookIssue => ({ file, ...locate(doc, lc, path), path: pathString(path), message });
  if (!parsed.success) {
    // an unknown key (a typo, a key the playbook format does not have) is named with the keys allowed there
    const issues = parsed.error.issues.map((i) => {
      const allowed = i.code === 'unrecognized_keys' ? keysAt(i.path) : undefined;
      return issue(i.path, allowed ? `${i.message}; expected one of ${allowed.join(', ')}` : i.message);
    });
    // the steps that are well-formed on their own are still checked against their commands
    const rawSteps = (raw as { steps?: unknown } | null)?.steps;
    const rawVars = (raw as { vars?: unknown } | null)?.vars;
    const known = new Set([...Object.keys(BUILTIN_VARS), ...(rawVars && typeof rawVars === 'object' ? Object.keys(rawVars) : [])]);
    if (Array.isArray(rawSteps)) {
      rawSteps.forEach((r, i) => {
        const st = Step.safeParse(r);
        if (st.success) issues.push(...checkStep(st.data, i, known, catalog, issue));
      });
    }
    return { issues: issues.sort((x, y) => x.line - y.line || x.col - y.col) };
  }
  const pb = parsed.data;
  const issues: PlaybookIssue[] = [];
  const known = new Set([...Object.keys(BUILTIN_VARS), ...Object.keys(pb.vars)]);
  for (const name of Object.keys(pb.vars)) if (name in BUILTIN_VARS) issues.push(issue(['vars', name], `${name} is a built-in variable`));
  pb.steps.forEach((s, i) => issues.push(...checkStep(s, i, known, catalog, issue)));
  return { playbook: pb, issues };
}

export function loadPlaybookFile(file: string, origin: LoadedPlaybook['origin'], catalog?: Catalog): LoadedPlaybook {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`playbook ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const { playbook, issues } = checkPlaybook(text, file, catalog);
  if (issues.length || !playbook) throw new PlaybookError(issues);
  return { playbook, file, text, origin };
}

/** Directories searched, first wins: --playbooks DIR, ~/.config/ir/playbooks, the bundled ones. */
export function playbookDirs(userDir?: string): { dir: string; origin: LoadedPlaybook['origin'] }[] {
  return [
    ...(userDir ? [{ dir: resolve(userDir), origin: 'user' as const }] : []),
    { dir: USER_DIR, origin: 'user' as const },
    { dir: BUNDLED_DIR, origin: 'bundled' as const },
  ];
}

export interface PlaybookEntry {
  name: string;
  file: string;
  origin: LoadedPlaybook['origin'];
  /** a user playbook of the same name hides this one */
  shadowed: boolean;
}

export function listPlaybooks(userDir?: string): PlaybookEntry[] {
  const out: PlaybookEntry[] = [];
  const seen = new Set<string>();
  for (const { dir, origin } of playbookDirs(userDir)) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!/\.ya?ml$/.test(f)) continue;
      const name = basename(f).replace(/\.ya?ml$/, '');
      out.push({ name, file: join(dir, f), origin, shadowed: seen.has(name) });
      seen.add(name);
    }
  }
  return out;
}

/** A name (`incident`) from the playbook directories, or a path to a file (`./mine.yaml`). */
export function findPlaybook(nameOrPath: string, userDir: string | undefined, catalog?: Catalog): LoadedPlaybook {
  if (/[/\\]|\.ya?ml$/.test(nameOrPath)) return loadPlaybookFile(resolve(nameOrPath), 'file', catalog);
  const hit = listPlaybooks(userDir).find((e) => e.name === nameOrPath && !e.shadowed);
  if (!hit) {
    const names = [...new Set(listPlaybooks(userDir).map((e) => e.name))];
    throw new UserError(`no playbook named ${nameOrPath}`, `known: ${names.join(', ') || 'none'}; or give a path to a .yaml file`);
  }
  return loadPlaybookFile(hit.file, hit.origin, catalog);
}

