import { z } from 'zod';
import { CheckResult } from '../schema.js';

/** ir's own nftables table: the only thing host containment adds to the firewall, so removing it is the exact undo. */
export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'ir_quarantine';
/** Where the watchdog and its files live on the target: tmpfs, like the rules, so a reboot clears both. */
export const STATE_ROOT = '/run/ir-isolate';

export const HostStep = z.object({
  kind: z.enum(['nft-apply', 'watchdog', 'lock-password', 'expire-account', 'move-keys', 'kill-sessions', 'nft-revert', 'unlock-password', 'unexpire-account', 'restore-keys', 'watchdog-stop']),
  subject: z.string(),
  argv: z.array(z.string()),
  /** bytes given on stdin (the nft ruleset), kept so the journal shows exactly what was loaded */
  input: z.string().optional(),
  why: z.string().optional(),
});
export type HostStep = z.infer<typeof HostStep>;

export const HostStepResult = HostStep.extend({
  startedAt: z.string(),
  endedAt: z.string(),
  code: z.number().int().nullable(),
  ok: z.boolean(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});
export type HostStepResult = z.infer<typeof HostStepResult>;

export const UserBefore = z.object({
  user: z.string(),
  home: z.string(),
  /** the shadow password field started with `!` already */
  passwordLocked: z.boolean(),
  /** shadow field 8: days since the epoch, empty when it never expires */
  expire: z.string(),
  authorizedKeys: z.array(z.string()),
});
export type UserBefore = z.infer<typeof UserBefore>;

export const SessionProcess = z.object({ pid: z.number().int(), user: z.string(), args: z.string() });

export const HostJournal = z.object({
  version: z.literal(1),
  kind: z.literal('host-network'),
  id: z.string(),
  host: z.string(),
  argv: z.array(z.string()),
  toolVersion: z.string(),
  createdAt: z.string(),
  stateDir: z.string(),
  allow: z.array(z.string()),
  /** where the responder's address came from: SSH_CLIENT or --allow */
  allowSource: z.array(z.string()),
  sshPorts: z.array(z.number().int()),
  sshPortSource: z.string(),
  keepEstablished: z.boolean(),
  firewall: z.object({
    tool: z.literal('nft'),
    /** the host also runs ufw: ir's table sits next to ufw's and leaves it untouched */
    ufwActive: z.boolean(),
    /** how that was found: `ufw status`, or ufw's chains in the ruleset */
    ufwEvidence: z.string().optional(),
    beforeRuleset: z.string(),
    beforeSha256: z.string(),
    ruleset: z.string(),
  }),
  deadline: z.string().nullable(),
  watchdog: z.object({ how: z.enum(['systemd-run', 'setsid']), unit: z.string().optional() }).nullable(),
  users: z.array(UserBefore),
  killed: z.array(SessionProcess),
  steps: z.array(HostStepResult),
  selfTest: z.object({ at: z.string(), ok: z.boolean(), checks: z.array(CheckResult) }).optional(),
  confirmedAt: z.string().optional(),
  restores: z.array(z.object({ startedAt: z.string(), endedAt: z.string(), steps: z.array(HostStepResult), ok: z.boolean(), checks: z.array(CheckResult) })),
});
export type HostJournal = z.infer<typeof HostJournal>;
