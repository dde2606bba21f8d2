import pLimit from 'p-limit';
import { NotAvailable, TargetError, type Target } from '../host/target.js';
import { UserError } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import { contentHash } from '../core/finding.js';
import type { Outcome, SweepCheck } from './check.js';
import { SweepContext, type SweepOptions } from './context.js';
import { CHECKS } from './registry.js';
import { AREAS, type CheckResult } from './result.js';

export interface RunOptions extends SweepOptions {
  /** check ids (IR-SSH-001) or areas (ssh, docker) */
  only?: string[];
  checks?: SweepCheck[];
}

/** `--only ssh,IR-DCK-001`: areas or ids; an unknown one is a user error naming the valid ones. */
export function selectChecks(only: string[] | undefined, all: SweepCheck[] = CHECKS): SweepCheck[] {
  if (!only || only.length === 0) return all;
  const wanted = only.map((o) => o.trim()).filter(Boolean);
  const known = new Set<string>([...AREAS, ...all.map((c) => c.id)]);
  const bad = wanted.filter((w) => !known.has(w) && !known.has(w.toUpperCase()));
  if (bad.length) throw new UserError(`unknown check or area ${bad.join(', ')}`, `areas: ${AREAS.join(', ')}; ids like ${all[0]?.id}`);
  return all.filter((c) => wanted.includes(c.area) || wanted.map((w) => w.toUpperCase()).includes(c.id));
}

export function resultOf(check: SweepCheck, o: Outcome, policy: Policy): CheckResult {
  const severity = o.severity ?? check.severity;
  return {
    id: check.id,
    key: o.subject ? `${check.id}:${o.subject}` : check.id,
    title: check.title,
    area: check.area,
    severity,
    status: o.status,
    ...(o.subject ? { subject: o.subject } : {}),
    expected: typeof check.expected === 'function' ? check.expected(policy) : check.expected,
    actual: o.actual,
    evidence: o.evidence,
    ...(o.path ? { path: o.path } : {}),
    ...(o.line ? { line: o.line } : {}),
    ...(o.reason ? { reason: o.reason } : {}),
    remediation: check.remediation,
    source: check.source,
    ...(check.lynis ? { lynis: check.lynis } : {}),
    ...(check.cis ? { cis: check.cis } : {}),
    contentHash: contentHash(o.status, o.actual, o.reason),
  };
}

const CHECKS_AT_ONCE = 64;

/** Runs the checks on one target; a check that throws is an "error" result, never a failed sweep. */
export async function runChecks(target: Target, policy: Policy, opts: RunOptions = {}, ctx = new SweepContext(target, policy, opts)): Promise<CheckResult[]> {
  const chosen = selectChecks(opts.only, opts.checks);
  // every check at once (they share their facts through the context's memo): over ssh the reads they
  // miss at the same moment go to the host as one follow-up, where eight at a time left the last
  // checks a round trip of their own
  const limit = pLimit(CHECKS_AT_ONCE);
  const perCheck = await Promise.all(
    chosen.map((check) =>
      limit(async (): Promise<CheckResult[]> => {
        if (check.liveOnly && !target.live) return [resultOf(check, { status: 'na', actual: 'not applicable', evidence: '', reason: 'needs a running system (not available offline)' }, policy)];
        try {
          const out = await check.run(ctx);
          return (Array.isArray(out) ? out : [out]).map((o) => resultOf(check, o, policy));
        } catch (err) {
          if (err instanceof NotAvailable) return [resultOf(check, { status: 'na', actual: 'not applicable', evidence: '', reason: err.message }, policy)];
          const message = err instanceof TargetError ? err.message : `check failed: ${(err as Error).message}`;
          return [resultOf(check, { status: 'error', actual: 'unreadable', evidence: (err as TargetError).path ?? '', reason: message }, policy)];
        }
      }),
    ),
  );
  return perCheck.flat();
}
