import { z } from 'zod';
import { Severity } from '../core/finding.js';

export const AREAS = ['ssh', 'fail2ban', 'firewall', 'updates', 'docker', 'app', 'accounts'] as const;
export const Area = z.enum(AREAS);
export type Area = z.infer<typeof Area>;

/** pass and fail are verdicts; na says why the check could not apply (no ufw, offline); error is a check that broke. */
export const CheckStatus = z.enum(['pass', 'fail', 'na', 'error']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** One check on one subject (a config file, a container, an application directory), with its evidence. */
export const CheckResult = z.object({
  /** the check's id, e.g. IR-SSH-001 */
  id: z.string(),
  /** stable instance key: the id, plus the subject when the check runs per container, app or file */
  key: z.string(),
  title: z.string(),
  area: Area,
  severity: Severity,
  status: CheckStatus,
  subject: z.string().optional(),
  expected: z.string(),
  actual: z.string(),
  /** the command (argv) or the file (and line) the value was read from */
  evidence: z.string(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  /** why the check is not applicable or broke */
  reason: z.string().optional(),
  remediation: z.string(),
  /** guide section the check comes from */
  source: z.string(),
  lynis: z.string().optional(),
  cis: z.string().optional(),
  /** hash of status and actual value: a later sweep tells changed from unchanged */
  contentHash: z.string(),
  /** with --baseline: against the accepted state */
  drift: z.enum(['new', 'changed', 'unchanged']).optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;
