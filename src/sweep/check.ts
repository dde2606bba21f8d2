import type { Policy } from '../core/policy.js';
import type { Severity } from '../core/finding.js';
import type { Area, CheckStatus } from './result.js';
import type { SweepContext, SweepOptions } from './context.js';

/** What one run of a check says about one subject. */
export interface Outcome {
  status: CheckStatus;
  subject?: string;
  actual: string;
  evidence: string;
  path?: string;
  line?: number;
  reason?: string;
  /** overrides the check's severity (Redis on a public address is high, a config file that does not parse …) */
  severity?: Severity;
}

/**
 * A sweep check is knowledge as data (STYLE.md 1): its id, where it comes from (guide section, Lynis,
 * CIS Docker Benchmark v1.2.0), what it reads and one function. docs/sweep.md is generated from these.
 */
export interface SweepCheck {
  id: string;
  title: string;
  area: Area;
  severity: Severity;
  /** a fixed value, or read from the policy (allowed ports, fail2ban limits) */
  expected: string | ((p: Policy) => string);
  remediation: string;
  /** guide section, e.g. "Hardening guide §1 SSH Hardening; verification 1" */
  source: string;
  lynis?: string;
  cis?: string;
  /** files and commands it reads, for docs/sweep.md */
  reads: string[];
  /**
   * the commands it runs whatever it finds, by exact argv (they may depend on the options: --fail2ban-dir,
   * --sshd-config): over ssh the first batch runs them and answers them from its snapshot, so that they
   * cost no round trip (docs/remote.md). A command found at run time (docker inspect of the containers
   * docker ps listed) is not declared: it runs on a shell kept open beside the batch.
   */
  commands?: (o: SweepOptions) => string[][];
  /** needs a running system (commands, /proc): "not applicable" on --root */
  liveOnly?: boolean;
  run(ctx: SweepContext): Promise<Outcome | Outcome[]>;
}

export const pass = (actual: string, evidence: string, extra: Partial<Outcome> = {}): Outcome => ({ status: 'pass', actual, evidence, ...extra });
export const fail = (actual: string, evidence: string, extra: Partial<Outcome> = {}): Outcome => ({ status: 'fail', actual, evidence, ...extra });
export const na = (reason: string, evidence = '', extra: Partial<Outcome> = {}): Outcome => ({ status: 'na', actual: 'not applicable', evidence, reason, ...extra });
export const broken = (reason: string, evidence: string, extra: Partial<Outcome> = {}): Outcome => ({ status: 'error', actual: 'unreadable', evidence, reason, ...extra });
export const verdict = (ok: boolean, actual: string, evidence: string, extra: Partial<Outcome> = {}): Outcome => ({ status: ok ? 'pass' : 'fail', actual, evidence, ...extra });
