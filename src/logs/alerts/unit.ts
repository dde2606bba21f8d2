import { canonicalIp } from '../../core/ip.js';
import type { Policy } from '../../core/policy.js';
import type { Severity } from '../../core/severity.js';
import type { EventKind } from '../auth-event.js';
import type { AuthStats, LoginStats } from '../auth-stats.js';

/**
 * An auth alert is knowledge as data, like a persistence-scan detector: its id, ATT&CK technique,
 * severity, thresholds (with their defaults and flags), what it reads and one function over the
 * stats of the logs. `buildReport` (auth-report.ts) runs every unit of ALERTS (registry.ts) and turns
 * each hit into a Finding; docs/auth-review.md's table of alerts is rendered from these fields.
 */
export interface AuthAlert {
  /** the Finding's rule, `auth.brute-force` */
  id: `auth.${string}`;
  /** what it detects, for the docs table */
  title: string;
  severity: Severity;
  /** MITRE ATT&CK technique id */
  attack: string;
  /** when it fires, one sentence for the docs */
  description: string;
  thresholds: AlertThreshold[];
  /** the events it reads (auth-event.ts kinds) and the policy keys it compares them with */
  reads: { events: EventKind[]; policy?: string[] };
  run(input: AlertInput): AlertHit[];
}

export interface AlertThreshold {
  /** the field of AlertThresholds, or a fixed constant of the unit */
  name: string;
  /** the command-line flag that sets it; none for a constant */
  flag?: string;
  /** its default, as the flag takes it (`10`, `10m`) */
  default: string;
  description: string;
}

/** The thresholds the command's flags set (defaults in defaults.ts). */
export interface AlertThresholds {
  bruteThreshold: number;
  bruteWindowMs: number;
  sprayUsers: number;
  distributedIps: number;
}

/** A successful login (its stats: first and last in ms since the epoch) with what happened before it, computed once for every unit and the report. */
export interface LoginView extends LoginStats {
  /** the same address failed to log in before the last of these logins */
  failedBefore: boolean;
  failuresFromIp: number;
  /** another address of the same /24 (/64) failed before */
  subnetFailedBefore: boolean;
  /** the address had crossed the brute-force threshold before logging in */
  afterBruteForce: boolean;
}

export interface AlertInput {
  stats: AuthStats;
  logins: LoginView[];
  thresholds: AlertThresholds;
  policy: Policy;
}

/** One alert of a unit; the assembly adds rule, severity, ATT&CK id, host and the stable key. */
export interface AlertHit {
  title: string;
  /** what makes this instance itself (an address, a user, user@address): the stable key is made of it */
  entry: string;
  evidence: string;
  reason: string;
  user?: string;
  /** ms since the epoch: when it happened (histogram bucket, order) */
  time: number;
  details: Record<string, unknown>;
  remediation?: string;
}

export const iso = (t: number): string => new Date(t).toISOString();

/** `10 failures within 600 s` */
export const bruteWindowText = (t: AlertThresholds): string => `${t.bruteThreshold} failures within ${Math.round(t.bruteWindowMs / 1000)} s`;

/** `ir ban ADDRESS --jail sshd`, or what to do first when PAM logged a host name (never resolved: a name is the attacker's to point anywhere). */
export function banLine(source: string): string {
  return canonicalIp(source) !== null ? `ir ban ${source} --jail sshd` : `${source} is a host name as PAM logged it (ir does not resolve it): find the address it had then, and ir ban that address --jail sshd`;
}
