import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { forEachHost } from '../host/fleet.js';
import type { InventoryHost } from '../host/inventory.js';
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from '../core/errors.js';
import { shellLine } from '../core/shell.js';
import { utcNow } from '../core/time.js';
import { fleetCaseDir } from '../host/fleet.js';
import { completedOn, finishedOn, priorRuns, type CaseMeta } from '../case/case.js';
import type { Catalog, FlagInfo } from './catalog.js';
import { Journal, readJournal, JOURNAL, type JournalEvent } from '../case/journal.js';
import { mustExistVars, REPORT_COMMAND, type Playbook, type Step, type StepStatus } from './schema.js';
import { fill, fillTemplate, templateNames, type TemplateVars } from './template.js';
import { Verdict } from '../report/verdict.js';
import { captureProcessStreams, inProcess, runInProcess, type StepIo } from '../core/step.js';
import { ConnectionPool } from '../host/pool.js';

export const StepRun = z.object({
  n: z.number().int(),
  name: z.string(),
  command: z.string(),
  /** the step's argv after `ir` (no shell ever sees it) */
  argv: z.array(z.string()),
  status: z.enum(['ok', 'findings', 'error', 'skipped', 'planned']),
  exitCode: z.number().int().nullable().optional(),
  /** why it was skipped, or the error's last stderr line */
  reason: z.string().optional(),
  /** the step's JSON stdout, relative to the case directory */
  output: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  seconds: z.number().optional(),
  /** from an earlier run of the case (--resume) */
  resumed: z.boolean().optional(),
  /** parameters left out because a template was empty ({{since_last_run}} on the first run) */
  omitted: z.array(z.string()).optional(),
});
export type StepRun = z.infer<typeof StepRun>;

export const HostRun = z.object({
  label: z.string(),
  spec: z.string().optional(),
  dir: z.string(),
  status: z.enum(['ok', 'findings', 'error', 'unreachable', 'planned']),
  exitCode: z.number().int(),
  error: z.string().optional(),
  seconds: z.number(),
  steps: z.array(StepRun),
});
export type HostRun = z.infer<typeof HostRun>;

export const PlaybookRun = z.object({
  kind: z.literal('ir-playbook-run'),
  case: z.string(),
  caseId: z.string(),
  playbook: z.string(),
  version: z.number().int(),
  dryRun: z.boolean(),
  resumed: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string(),
  seconds: z.number(),
  concurrency: z.number().int(),
  hosts: z.array(HostRun),
  report: z.array(z.string()),
  /** the report's verdict (report/verdict.ts), when the playbook has a report step */
  verdict: Verdict.optional(),
  exitCode: z.number().int(),
});
export type PlaybookRun = z.infer<typeof PlaybookRun>;

export interface TargetArg {
  name: string;
  value: string | boolean | number;
}

export interface RunnerOptions {
  playbook: Playbook;
  catalog: Catalog;
  /** the fleet; empty: this machine, or --root */
  hosts: InventoryHost[];
  fleet: boolean;
  kind: 'local' | 'ssh' | 'image';
  targetArgs: TargetArg[];
  caseDir: string;
  caseId: string;
  startedAt: string;
  vars: Record<string, string | null>;
  concurrency: number;
  dryRun: boolean;
  /** continue this case: steps the journal records as done are not run again */
  resume?: CaseMeta;
  /** `[node, bin/run.js]`: the same CLI, run as a child per step when there is no `runCommand` */
  cli: string[];
  /**
   * runs one command in this process (`command` as the playbook writes it, `argv` after it): each
   * step then runs here, its stdio, exit code and timeout its own, every step of a host over one
   * connection (host/pool.ts). Without it, each step is a child process (`cli`).
   */
  runCommand?: (command: string, argv: string[]) => Promise<void>;
  env?: NodeJS.ProcessEnv;
  /** proves the host answers and its key verifies before any step runs (ssh fleets) */
  preflight?: (host: InventoryHost) => Promise<void>;
  /** writes the case's report: its files and its verdict */
  writeReport?: (caseDir: string) => Promise<{ files: string[]; verdict?: Verdict }>;
  onProgress?: (line: string) => void;
  /** what the user agreed to at the start (recorded in the journal) */
  confirmation?: string;
}

const LOCAL: InventoryHost = { label: 'local', spec: '', groups: [] };

export function hostsOf(o: Pick<RunnerOptions, 'hosts' | 'kind'>): InventoryHost[] {
  return o.hosts.length ? o.hosts : [{ ...LOCAL, label: o.kind === 'image' ? 'image' : 'local' }];
}

export function hostDir(caseDir: string, fleet: boolean, label: string): string {
  return fleet ? fleetCaseDir(caseDir, label) : caseDir;
}

/** Whether `when` holds; `prior` is null in a dry run, where a step's outcome is not known yet. */
export function whenHolds(step: Step, vars: TemplateVars, kind: RunnerOptions['kind'], prior: Map<string, StepStatus> | null): { run: boolean | 'depends'; reason?: string } {
  const w = step.when;
  if (!w) return { run: true };
  if (w.set !== undefined && !vars[w.set]) return { run: false, reason: `${w.set} is not set (--set ${w.set}=VALUE)` };
  if (w.unset !== undefined && vars[w.unset]) return { run: false, reason: `${w.unset} is set` };
  if (w.target && !w.target.includes(kind)) return { run: false, reason: `only on ${w.target.join(' or ')} targets, this is ${kind}` };
  if (w.step && w.status) {
    if (!prior) return { run: 'depends', reason: `runs if ${w.step} ends ${w.status.join(' or ')}` };
    const st = prior.get(w.step) ?? 'skipped';
    if (!w.status.includes(st)) return { run: false, reason: `${w.step} ended ${st}, not ${w.status.join(' or ')}` };
  }
  return { run: true };
}

/** Steps that change a host and would run: asked for once before anything starts. */
export function changingSteps(pb: Playbook, vars: Record<string, string | null>, kind: RunnerOptions['kind']): Step[] {
  return pb.steps.filter((s) => s.confirm && whenHolds(s, vars, kind, null).run !== false);
}

/** A step's parameters as flags of its command, templates filled; argv only, never a shell string. */
export function stepArgv(step: Step, flags: Record<string, FlagInfo> | undefined, vars: TemplateVars, targetArgs: TargetArg[]): { argv: string[]; omitted: string[] } {
  const argv = step.command.split(' ');
  const omitted: string[] = [];
  for (const a of step.args) {
    const val = fill(a, vars);
    if (val === null) omitted.push(a);
    else argv.push(val);
  }
  for (const [k, v] of Object.entries(step.with)) {
    if (typeof v === 'boolean') {
      argv.push(v ? `--${k}` : `--no-${k}`);
      continue;
    }
    for (const x of Array.isArray(v) ? v : [v]) {
      const val = typeof x === 'string' ? fill(x, vars) : String(x);
      if (val === null) {
        if (!omitted.includes(k)) omitted.push(k);
        continue;
      }
      // --k=value: a value that starts with a dash is never read as a flag
      argv.push(`--${k}=${val}`);
    }
  }
  for (const t of targetArgs) {
    if (flags && !(t.name in flags)) continue;
    if (typeof t.value === 'boolean') {
      if (t.value) argv.push(`--${t.name}`);
    } else argv.push(`--${t.name}=${t.value}`);
  }
  if (step.confirm && flags && 'yes' in flags) argv.push('--yes');
  argv.push('--json');
  return { argv, omitted };
}

function statusOf(code: number | null): StepStatus {
  return code === EXIT_OK ? 'ok' : code === EXIT_FINDINGS ? 'findings' : 'error';
}

function exitOf(s: StepRun['status']): number {
  return s === 'findings' ? EXIT_FINDINGS : s === 'error' ? EXIT_ERROR : EXIT_OK;
}

/** Runs one step's child; stdout goes straight to the case file, stderr is kept beside it. */
function runChild(cli: string[], argv: string[], outFile: string, errFile: string, timeoutS: number, env: NodeJS.ProcessEnv): Promise<StepResult> {
  return new Promise((resolve) => {
    const out = openSync(outFile, 'w', 0o600);
    const err = openSync(errFile, 'w', 0o600);
    const child = spawn(cli[0]!, [...cli.slice(1), ...argv], { stdio: ['ignore', out, err], env: { ...env, NO_COLOR: '1' } });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutS * 1000);
    const done = (code: number | null): void => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      let stderr = '';
      try {
        stderr = readFileSync(errFile, 'utf8');
      } catch {
        // unreadable stderr file: nothing to add
      }
      resolve({ code, stderr, timedOut });
    };
    child.on('error', (e) => {
      writeFileSync(errFile, `spawn: ${e.message}\n`);
      done(null);
    });
    child.on('close', (code) => done(code));
  });
}

type StepResult = { code: number | null; stderr: string; timedOut: boolean };

function readStderr(errFile: string): string {
  try {
    return readFileSync(errFile, 'utf8');
  } catch {
    return '';
  }
}

/** What ends a step run in this process other than its command returning: an uncaught error in it. */
const failures = new WeakMap<StepIo, (err: Error) => void>();
/** The steps running in this process, stopped together on an interrupt. */
const running = new Set<AbortController>();
/** Set by SIGINT or SIGTERM: no step ends in the journal from then on, so --resume runs it again. */
let interrupted = false;

/** After an interrupt: the process ends once the last running step has stopped (a child was killed). */
function stopHere(): Promise<never> {
  if (running.size === 0) process.exit(130);
  return new Promise<never>(() => {});
}

/**
 * Runs one step in this process: the command's class run with `argv`, inside a context that gives it
 * what a child had (host/pool.ts, core/step.ts): stdout to the case file and stderr beside it, its
 * own exit code, a signal that its timeout aborts (remote commands are killed through the Target),
 * and the host's shared connection. After a timeout the step is an error at once; its command gets
 * 5 s to wind down (remove a partial archive), as a child got between SIGTERM and SIGKILL.
 */
async function runHere(o: RunnerOptions, command: string, argv: string[], outFile: string, errFile: string, timeoutS: number, connections: ConnectionPool): Promise<StepResult> {
  if (interrupted) return stopHere();
  const out = openSync(outFile, 'w', 0o600);
  const err = openSync(errFile, 'w', 0o600);
  const io: StepIo = { argv, stdout: out, stderr: err, ended: false };
  const ac = new AbortController();
  running.add(ac);
  const words = command.split(' ').length;
  let crash: (r: StepResult) => void = () => {};
  const crashed = new Promise<StepResult>((r) => (crash = r));
  failures.set(io, (e) => {
    if (io.ended) return;
    writeSync(err, `ir ${command}: unexpected error: ${e.message.split('\n')[0]}\n`);
    crash({ code: EXIT_ERROR, stderr: '', timedOut: false });
  });
  let settled = false;
  const run = runInProcess({ step: io, signal: ac.signal, connections }, () => o.runCommand!(command, argv.slice(words))).finally(() => (settled = true)).then(
    (): StepResult => ({ code: io.exitCode ?? EXIT_OK, stderr: '', timedOut: false }),
    (e: Error & { oclif?: { exit?: number } }): StepResult => {
      // this.exit(n) and oclif's own exits; anything else got past the command's catch
      if (typeof e?.oclif?.exit === 'number') return { code: e.oclif.exit, stderr: '', timedOut: false };
      if (!io.ended) writeSync(err, `ir ${command}: unexpected error: ${String(e?.message ?? e).split('\n')[0]}\n`);
      return { code: EXIT_ERROR, stderr: '', timedOut: false };
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StepResult>((r) => {
    timer = setTimeout(() => r({ code: null, stderr: '', timedOut: true }), timeoutS * 1000);
  });
  const res = await Promise.race([run, crashed, timeout]);
  clearTimeout(timer);
  if (!settled || ac.signal.aborted) {
    // out of time, failed by an uncaught error, or interrupted: its remote commands are stopped
    if (!ac.signal.aborted) ac.abort(new Error(res.timedOut ? `stopped after ${timeoutS}s` : 'the step failed'));
    await Promise.race([run, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
  io.ended = true;
  running.delete(ac);
  closeSync(out);
  closeSync(err);
  if (interrupted) return stopHere();
  return { ...res, stderr: readStderr(errFile) };
}

/**
 * While steps run in this process: their writes go to their own files, an uncaught error or
 * unhandled rejection fails the step it came from (never the run), and an interrupt stops the
 * running steps (their remote commands killed) before the process exits. Returns the undo.
 */
function hostSteps(): () => void {
  const restoreStreams = captureProcessStreams();
  const exitCode = process.exitCode;
  const onError = (e: unknown) => {
    const step = inProcess()?.step;
    const fail = step && failures.get(step);
    const err = e instanceof Error ? e : new Error(String(e));
    if (fail) return fail(err);
    restoreStreams();
    process.stderr.write(`ir playbook run: unexpected error: ${err.message}\n`);
    process.exit(EXIT_ERROR);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`ir playbook run: ${sig}: stopping the running steps; continue the case with --resume\n`);
    for (const ac of running) ac.abort(new Error(`interrupted (${sig})`));
    if (running.size === 0) process.exit(130);
    setTimeout(() => process.exit(130), 5500).unref();
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('uncaughtException', onError);
    process.removeListener('unhandledRejection', onError);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    restoreStreams();
    process.exitCode = exitCode;
  };
}

function lastLine(s: string): string | undefined {
  return s.trim().split('\n').filter(Boolean).pop()?.slice(0, 500);
}

/** Steps this host finished in an earlier run of the case, from the journal. */
function doneBefore(events: JournalEvent[], label: string, pb: Playbook): Map<number, StepRun> {
  const done = new Map<number, StepRun>();
  for (const e of events) {
    if (e.event !== 'step-end' || e.host !== label || e.n === undefined) continue;
    const step = pb.steps[e.n - 1];
    if (!step || step.command === REPORT_COMMAND) continue;
    const st = e.status as StepRun['status'];
    // an error that stopped the host, and the steps it made skip, are run again
    if ((st === 'error' && !step.continue_on_error) || (st === 'skipped' && e.message?.startsWith('after '))) {
      done.delete(e.n);
      continue;
    }
    done.set(e.n, { n: e.n, name: step.name, command: step.command, argv: e.argv ?? [], status: st, exitCode: e.exitCode ?? null, output: e.outputs?.[0], endedAt: e.ts, seconds: e.seconds, resumed: true, reason: e.message });
  }
  return done;
}

/** The commands whose steps use `{{since_last_run}}`: it is the start of the last run where they all completed. */
function sinceCommands(pb: Playbook): string[] {
  const uses = (s: Step): boolean => [...s.args, ...Object.values(s.with).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((x): x is string => typeof x === 'string')].some((v) => templateNames(v).includes('since_last_run'));
  return [...new Set(pb.steps.filter(uses).map((s) => s.command))];
}

/**
 * This host's variables: the built-ins and the playbook's (which may name the host:
 * --set 'accepted=/var/lib/ir/accepted/{{host}}'). Each `{{last_run}}` built-in asks for the earlier
 * run it needs, so one failed run never breaks the later ones: a baseline file comes from the latest
 * run that wrote that file, `{{since_last_run}}` from the last run whose steps using it completed.
 */
export function hostVars(o: Pick<RunnerOptions, 'caseDir' | 'fleet' | 'caseId' | 'playbook' | 'startedAt' | 'vars'>, host: InventoryHost): TemplateVars {
  const runs = priorRuns(o.caseDir, o.playbook.name, host.label, o.startedAt);
  const since = sinceCommands(o.playbook);
  const builtins: TemplateVars = {
    case: hostDir(o.caseDir, o.fleet, host.label),
    case_id: o.caseId,
    host: host.label,
    playbook: o.playbook.name,
    last_run: (file) => (file ? runs.find((r) => existsSync(join(r.hostDir, file))) : runs.find((r) => finishedOn(r, host.label)))?.hostDir ?? null,
    since_last_run: runs.find((r) => (since.length ? completedOn(r, host.label, since) : finishedOn(r, host.label)))?.startedAt ?? null,
  };
  return { ...Object.fromEntries(Object.entries(o.vars).map(([k, v]) => [k, typeof v === 'string' ? fill(v, builtins) : v])), ...builtins };
}

/**
 * Parameters built from a `must_exist` variable (the hygiene playbook's `accepted`) name paths that
 * must exist: one line naming the first that does not, or null. Checked before anything runs, so a
 * typo in --set never becomes a run without its baseline.
 */
export function missingInput(o: Pick<RunnerOptions, 'playbook' | 'kind' | 'vars'>, vars: TemplateVars): string | null {
  const must = mustExistVars(o.playbook);
  if (!must.length) return null;
  for (const name of must) {
    const v = vars[name];
    if (typeof v === 'string' && v && !existsSync(v)) return `--set ${name}=${v}: no such file or directory`;
  }
  for (const step of o.playbook.steps) {
    if (step.command === REPORT_COMMAND || whenHolds(step, vars, o.kind, null).run === false) continue;
    const values: [string, string][] = [...step.args.map((a): [string, string] => ['argument', a]), ...Object.entries(step.with).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x): [string, string] => [`--${k}`, x]))];
    for (const [what, raw] of values) {
      const { value, used } = fillTemplate(raw, vars);
      const by = used.find((u) => must.includes(u));
      if (by && value !== null && !existsSync(value)) return `--set ${by}=${String(vars[by])}: ${value} does not exist (step ${step.name}, ${what})`;
    }
  }
  return null;
}

async function runHost(o: RunnerOptions, host: InventoryHost, journal: Journal | null, prevEvents: JournalEvent[]): Promise<HostRun> {
  const t0 = performance.now();
  const dir = hostDir(o.caseDir, o.fleet, host.label);
  const vars = hostVars(o, host);
  const targetArgs: TargetArg[] = [...(host.spec ? [{ name: 'host', value: host.spec }] : []), ...(host.identity ? [{ name: 'identity', value: host.identity }] : []), ...o.targetArgs.filter((t) => !(host.identity && t.name === 'identity'))];
  const steps: StepRun[] = [];
  const prior = new Map<string, StepStatus>();
  const rel = (p: string): string => relative(o.caseDir, p);
  const say = (s: string): void => o.onProgress?.(`${o.fleet ? `[${host.label}] ` : ''}${s}`);
  const finish = (status: HostRun['status'], error?: string): HostRun => {
    const exitCode = status === 'unreachable' || status === 'error' ? EXIT_ERROR : Math.max(EXIT_OK, ...steps.map((s) => exitOf(s.status)));
    const st: HostRun['status'] = status === 'ok' ? (exitCode === EXIT_ERROR ? 'error' : exitCode === EXIT_FINDINGS ? 'findings' : 'ok') : status;
    const seconds = (performance.now() - t0) / 1000;
    journal?.write({ event: 'host-end', host: host.label, status: st, exitCode, seconds, ...(error ? { message: error } : {}) });
    return { label: host.label, ...(host.spec ? { spec: host.spec } : {}), dir: rel(dir) || '.', status: st, exitCode, ...(error ? { error } : {}), seconds, steps };
  };

  // a missing accepted baseline refuses this host before anything runs (one host: the command refused already)
  const missing = missingInput(o, vars);
  const refused = (reason: string): StepRun[] => o.playbook.steps.map((s, i) => ({ n: i + 1, name: s.name, command: s.command, argv: [], status: 'skipped', reason }));
  if (missing && o.dryRun) return { label: host.label, ...(host.spec ? { spec: host.spec } : {}), dir: rel(dir) || '.', status: 'error', exitCode: EXIT_ERROR, error: missing, seconds: 0, steps: refused('the host was refused') };

  if (o.dryRun) {
    o.playbook.steps.forEach((step, i) => {
      const { argv, omitted } = stepArgv(step, o.catalog.get(step.command), vars, targetArgs);
      const w = whenHolds(step, vars, o.kind, null);
      const isReport = step.command === REPORT_COMMAND;
      steps.push({ n: i + 1, name: step.name, command: step.command, argv: isReport ? [] : argv, status: w.run === false ? 'skipped' : 'planned', ...(w.reason ? { reason: w.reason } : {}), ...(omitted.length ? { omitted } : {}) });
    });
    return { label: host.label, ...(host.spec ? { spec: host.spec } : {}), dir: rel(dir) || '.', status: 'planned', exitCode: 0, seconds: 0, steps };
  }

  mkdirSync(join(dir, 'steps'), { recursive: true, mode: 0o700 });
  journal?.write({ event: 'host-start', host: host.label, ...(host.spec ? { message: host.spec } : {}) });
  if (missing) {
    say(`refused: ${missing}`);
    steps.push(...refused('the host was refused before any step ran'));
    return finish('error', missing);
  }
  // resume after the last completed step: everything from the first step not done runs again
  const done = doneBefore(prevEvents, host.label, o.playbook);
  const firstOpen = o.playbook.steps.findIndex((s, i) => s.command !== REPORT_COMMAND && !done.has(i + 1));
  if (firstOpen >= 0) for (const n of [...done.keys()]) if (n > firstOpen) done.delete(n);
  // steps in this process: the host's connection opens once (at the preflight) and closes after its last step
  const pool = o.runCommand ? new ConnectionPool() : null;
  try {
    return await runSteps(o, host, journal, { dir, vars, targetArgs, steps, prior, done, rel, say, finish, pool });
  } finally {
    await pool?.close();
  }
}

interface HostState {
  dir: string;
  vars: TemplateVars;
  targetArgs: TargetArg[];
  steps: StepRun[];
  prior: Map<string, StepStatus>;
  done: Map<number, StepRun>;
  rel: (p: string) => string;
  say: (s: string) => void;
  finish: (status: HostRun['status'], error?: string) => HostRun;
  pool: ConnectionPool | null;
}

async function runSteps(o: RunnerOptions, host: InventoryHost, journal: Journal | null, h: HostState): Promise<HostRun> {
  const { dir, vars, targetArgs, steps, prior, done, rel, say, finish, pool } = h;
  if (o.preflight && host.spec && done.size < o.playbook.steps.filter((s) => s.command !== REPORT_COMMAND).length) {
    try {
      const preflight = o.preflight;
      await (pool ? runInProcess({ connections: pool }, () => preflight(host)) : preflight(host));
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0]!;
      journal?.write({ event: 'host-unreachable', host: host.label, message: msg });
      say(`unreachable: ${msg}`);
      o.playbook.steps.forEach((s, i) => steps.push({ n: i + 1, name: s.name, command: s.command, argv: [], status: 'skipped', reason: 'host unreachable' }));
      return finish('unreachable', msg);
    }
  }
  let stoppedBy: string | null = null;
  for (const [i, step] of o.playbook.steps.entries()) {
    const n = i + 1;
    const base = { n, name: step.name, command: step.command };
    if (step.command === REPORT_COMMAND) {
      // the report covers every host: written once, after all hosts finished
      steps.push({ ...base, argv: [], status: 'planned', reason: 'written once for the case at the end' });
      continue;
    }
    const before = done.get(n);
    if (before && !stoppedBy) {
      steps.push(before);
      prior.set(step.name, before.status as StepStatus);
      continue;
    }
    if (stoppedBy) {
      steps.push({ ...base, argv: [], status: 'skipped', reason: `after ${stoppedBy} failed` });
      journal?.write({ event: 'step-end', host: host.label, n, step: step.name, command: step.command, status: 'skipped', message: `after ${stoppedBy} failed` });
      continue;
    }
    const w = whenHolds(step, vars, o.kind, prior);
    if (w.run === false) {
      steps.push({ ...base, argv: [], status: 'skipped', reason: w.reason });
      prior.set(step.name, 'skipped');
      journal?.write({ event: 'step-end', host: host.label, n, step: step.name, command: step.command, status: 'skipped', message: w.reason });
      say(`${n}/${o.playbook.steps.length} ${step.name}: skipped (${w.reason})`);
      continue;
    }
    const { argv, omitted } = stepArgv(step, o.catalog.get(step.command), vars, targetArgs);
    const stem = join(dir, 'steps', `${String(n).padStart(2, '0')}-${step.name}`);
    const outFile = `${stem}.json`;
    const startedAt = utcNow();
    const s0 = performance.now();
    journal?.write({ event: 'step-start', host: host.label, n, step: step.name, command: step.command, argv });
    say(`${n}/${o.playbook.steps.length} ${step.name}: ir ${shellLine(argv)}`);
    const res = pool ? await runHere(o, step.command, argv, outFile, `${stem}.stderr.txt`, step.timeout, pool) : await runChild(o.cli, argv, outFile, `${stem}.stderr.txt`, step.timeout, o.env ?? process.env);
    let status = statusOf(res.code);
    let reason: string | undefined = res.timedOut ? `stopped after ${step.timeout}s` : status === 'error' ? lastLine(res.stderr) : undefined;
    try {
      JSON.parse(readFileSync(outFile, 'utf8'));
    } catch {
      if (status !== 'error') reason = 'printed no JSON';
      status = 'error';
    }
    const seconds = (performance.now() - s0) / 1000;
    const run: StepRun = { ...base, argv, status, exitCode: res.code, output: rel(outFile), startedAt, endedAt: utcNow(), seconds, ...(reason ? { reason } : {}), ...(omitted.length ? { omitted } : {}) };
    steps.push(run);
    prior.set(step.name, status);
    journal?.write({ event: 'step-end', host: host.label, n, step: step.name, command: step.command, argv, status, exitCode: res.code, outputs: [rel(outFile), rel(`${stem}.stderr.txt`)], seconds, ...(reason ? { message: reason } : {}) });
    say(`${n}/${o.playbook.steps.length} ${step.name}: ${status}${reason ? ` (${reason})` : ''} ${seconds.toFixed(1)}s`);
    if (status === 'error' && !step.continue_on_error) stoppedBy = step.name;
  }
  return finish('ok');
}

/** Runs (or with dryRun, plans) the playbook on every host; one host's failure never stops another. */
export async function runPlaybook(o: RunnerOptions): Promise<PlaybookRun> {
  const t0 = performance.now();
  const startedAt = utcNow();
  const journal = o.dryRun ? null : new Journal(join(o.caseDir, JOURNAL));
  const prevEvents = o.resume ? readJournal(join(o.caseDir, JOURNAL)) : [];
  journal?.write({ event: o.resume ? 'case-resume' : 'case-start', message: `${o.playbook.name} v${o.playbook.version}` });
  if (o.confirmation) journal?.write({ event: 'confirm', message: o.confirmation });
  const hosts = hostsOf(o);
  const undo = o.runCommand && !o.dryRun ? hostSteps() : () => {};
  let outcomes;
  try {
    outcomes = await forEachHost(hosts, o.concurrency, (h) => runHost(o, h, journal, prevEvents));
  } finally {
    undo();
  }
  const runs: HostRun[] = outcomes.map((r) =>
    r.ok ? r.value : { label: r.host.label, spec: r.host.spec || undefined, dir: relative(o.caseDir, hostDir(o.caseDir, o.fleet, r.host.label)) || '.', status: 'error', exitCode: EXIT_ERROR, error: r.error.message, seconds: r.seconds, steps: [] },
  );
  let report: string[] = [];
  let verdict: Verdict | undefined;
  const reportStep = o.playbook.steps.findIndex((s) => s.command === REPORT_COMMAND);
  if (!o.dryRun && reportStep >= 0 && o.writeReport) {
    const n = reportStep + 1;
    const s0 = performance.now();
    journal?.write({ event: 'step-start', n, step: o.playbook.steps[reportStep]!.name, command: REPORT_COMMAND });
    let status: StepRun['status'] = 'ok';
    let reason: string | undefined;
    try {
      const written = await o.writeReport(o.caseDir);
      report = written.files.map((p) => relative(o.caseDir, p));
      verdict = written.verdict;
    } catch (err) {
      status = 'error';
      reason = (err as Error).message;
    }
    journal?.write({ event: 'step-end', n, step: o.playbook.steps[reportStep]!.name, command: REPORT_COMMAND, status, outputs: report, seconds: (performance.now() - s0) / 1000, ...(reason ? { message: reason } : {}) });
    for (const h of runs) {
      const s = h.steps.find((x) => x.n === n);
      if (s) Object.assign(s, { status, output: report[0], ...(reason ? { reason } : { reason: undefined }) });
      if (status === 'error') h.exitCode = EXIT_ERROR;
    }
  }
  const exitCode = Math.max(EXIT_OK, ...runs.map((h) => h.exitCode));
  const seconds = (performance.now() - t0) / 1000;
  journal?.write({ event: 'case-end', exitCode, seconds });
  return { kind: 'ir-playbook-run', case: o.caseDir, caseId: o.caseId, playbook: o.playbook.name, version: o.playbook.version, dryRun: o.dryRun, resumed: Boolean(o.resume), startedAt, endedAt: utcNow(), seconds, concurrency: o.concurrency, hosts: runs, report, ...(verdict ? { verdict } : {}), exitCode };
}
