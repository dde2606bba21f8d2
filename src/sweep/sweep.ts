import { z } from 'zod';
import pLimit from 'p-limit';
import type { DeclaredInputs, ExecOptions, Target } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { utcNow } from '../core/time.js';
import { Severity, severityRank } from '../core/finding.js';
import { compareToBaseline, DriftReport, type Baseline } from './drift.js';
import { SweepContext } from './context.js';
import { CheckResult } from './result.js';
import { runChecks, selectChecks, type RunOptions } from './runner.js';
import { score, SweepScore } from './score.js';
import { collectState, STATE_INPUTS, StateItem } from './state.js';
import { STATE_KINDS } from './defaults.js';

export const SweepReport = z.object({
  kind: z.literal('ir-sweep'),
  host: z.string(),
  target: z.enum(['local', 'ssh', 'image']),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  failOn: Severity,
  score: SweepScore,
  results: z.array(CheckResult),
  /** the state that matters between sweeps (ports, accounts, keys, persistence, units), with --baseline / --save-baseline */
  state: z.array(StateItem).optional(),
  drift: DriftReport.optional(),
  /** keys of the results and state changes that make the exit code 1 */
  failing: z.array(z.string()),
  /** keys of the checks that could not evaluate input that exists (it threw, or was unreadable or unparsable) */
  errors: z.array(z.string()),
  /** state kinds that could not be read whole (the persistence scan failed, or parts of it): the sweep is incomplete */
  stateErrors: z.array(z.string()).optional(),
  /** 0 nothing at or above failOn, 1 failing results, 2 a check could not run: an error is never "OK" */
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
});
export type SweepReport = z.infer<typeof SweepReport>;

export interface SweepRunOptions extends RunOptions {
  failOn?: Severity;
  /** accepted state to compare with (only new and changed count toward --fail-on) */
  baseline?: Baseline;
  /** collect the drift state even without a baseline (for --save-baseline) */
  withState?: boolean;
}

/**
 * Shells kept open beside the batch for the commands the checks run that it did not (fail2ban-client,
 * ufw, sshd -T of a running sshd's own -f, docker inspect): four start at once after the batch, each
 * one round trip; past them a command opens a channel of its own.
 */
const SWEEP_SHELLS = 4;

/**
 * The same target running at most `n` of the checks' commands at a time: over ssh each then finds a
 * kept-open shell free (one round trip) instead of opening a channel and a sudo of its own (three or
 * more, and sshd allows ten sessions per connection); elsewhere it only bounds how many run together.
 */
function commandsAtOnce(t: Target, n: number): Target {
  const limit = pLimit(n);
  return new Proxy(t, {
    get(obj, prop, receiver) {
      if (prop === 'exec') return (argv: string[], o?: ExecOptions) => limit(() => obj.exec(argv, o));
      const v = Reflect.get(obj, prop, receiver) as unknown;
      // methods run on the target itself (its own fields, its own calls)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
    },
  });
}

/** What the chosen checks declare they read and run, each command once (the commands only on a running system). */
export function sweepInputs(opts: SweepRunOptions, live = true): DeclaredInputs {
  // the checks, and with a baseline the state kinds kept
  const units: { reads: string[]; commands?: (o: SweepRunOptions) => string[][] }[] = [...selectChecks(opts.only, opts.checks)];
  if (opts.baseline || opts.withState) for (const k of opts.stateKinds ?? STATE_KINDS) units.push(STATE_INPUTS[k]);
  const commands = new Map<string, string[]>();
  if (live) for (const u of units) for (const argv of u.commands?.(opts) ?? []) commands.set(JSON.stringify(argv), argv);
  return { paths: units.flatMap((u) => u.reads), commands: [...commands.values()] };
}

/** The whole sweep: checks, score, state and drift, and the exit decision (0 all good, 1 failing at or above failOn, 2 a check could not run). */
export async function runSweep(host: Target, policy: Policy, opts: SweepRunOptions = {}): Promise<SweepReport> {
  const t0 = performance.now();
  const startedAt = utcNow();
  // over ssh: what the chosen checks declare, files and commands, read in one batch (host/batch/); locally the host itself
  const snapshot = (await host.prefetch?.(sweepInputs(opts, host.live), { shells: SWEEP_SHELLS })) ?? host;
  const target = commandsAtOnce(snapshot, SWEEP_SHELLS);
  const failOn = opts.failOn ?? 'low';
  const wantState = Boolean(opts.baseline || opts.withState);
  const ctx = new SweepContext(target, policy, opts);
  const [results, collected] = await Promise.all([runChecks(target, policy, opts, ctx), wantState ? collectState(target, policy, opts, ctx) : Promise.resolve(undefined)]);
  const state = collected?.items;
  const stateErrors = collected?.errors ?? [];
  const atLeast = (s: Severity) => severityRank(s) >= severityRank(failOn);
  let drift: DriftReport | undefined;
  let failing: string[];
  if (opts.baseline) {
    drift = compareToBaseline(opts.baseline, results, state ?? [], opts.stateKinds);
    failing = [
      ...results.filter((r) => r.status === 'fail' && r.drift !== 'unchanged' && atLeast(r.severity)).map((r) => r.key),
      ...drift.state.filter((c) => atLeast(c.severity)).map((c) => c.key),
    ];
  } else {
    failing = results.filter((r) => r.status === 'fail' && atLeast(r.severity)).map((r) => r.key);
  }
  if (snapshot !== host) await snapshot.close();
  return {
    kind: 'ir-sweep',
    host: target.name,
    target: target.kind,
    startedAt,
    endedAt: utcNow(),
    durationMs: Math.round(performance.now() - t0),
    failOn,
    score: score(results),
    results,
    ...(state ? { state } : {}),
    ...(drift ? { drift } : {}),
    failing,
    errors: results.filter((r) => r.status === 'error').map((r) => r.key),
    ...(stateErrors.length ? { stateErrors } : {}),
    exitCode: results.some((r) => r.status === 'error') || stateErrors.length ? 2 : failing.length ? 1 : 0,
  };
}
