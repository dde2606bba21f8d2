import { IrError } from './errors.js';
import { readYaml, type YamlFile } from './yaml.js';
import { promises as fsp } from 'node:fs';
import { z } from 'zod';

/**
 * One policy file for the whole tool (`--policy FILE`): scan, sweep and playbooks read the same file.
 * Defaults are the guides' own: ports 22, 80, 443; fail2ban maxretry 3 with a long ban.
 */
export const Policy = z
  .object({
    allowedPorts: z.array(z.number().int().min(1).max(65535)).default([22, 80, 443]),
    /** SHA256 fingerprints (as `ssh-keygen -lf` prints them) of keys that are expected anywhere */
    trustedKeys: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA256:… fingerprint')).default([]),
    /** accounts that may have a login shell and a password */
    expectedAccounts: z.array(z.string()).default([]),
    suppressions: z
      .array(
        z
          .object({
            rule: z.string().optional(),
            key: z.string().optional(),
            path: z.string().optional(),
            reason: z.string().min(1, 'every suppression needs a reason'),
          })
          .strict()
          .refine((s) => s.rule || s.key || s.path, 'a suppression names a rule, a key or a path'),
      )
      .default([]),
    ssh: z
      .object({
        permitRootLogin: z.string().default('no'),
        passwordAuthentication: z.boolean().default(false),
        maxAuthTries: z.number().int().default(3),
      })
      .strict()
      .default({ permitRootLogin: 'no', passwordAuthentication: false, maxAuthTries: 3 }),
    fail2ban: z
      .object({
        maxretry: z.number().int().default(3),
        /** seconds; the hardening guide bans for 365 days */
        minBantime: z.number().int().default(86400),
        minFindtime: z.number().int().default(600),
      })
      .strict()
      .default({ maxretry: 3, minBantime: 86400, minFindtime: 600 }),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export class PolicyError extends IrError {}

export function defaultPolicy(): Policy {
  return Policy.parse({});
}

/** Loads and validates a policy file; errors name the file, the line and what was expected. */
export async function loadPolicy(file?: string, overrides: { expectPorts?: number[] } = {}): Promise<Policy> {
  let policy = defaultPolicy();
  if (file) {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new PolicyError(`policy ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    let y: YamlFile;
    try {
      y = readYaml(text, file, 'policy');
    } catch (err) {
      throw new PolicyError((err as Error).message);
    }
    const parsed = Policy.safeParse(y.data ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const line = y.lineOf(issue.path);
      throw new PolicyError(`policy ${file}${line ? `:${line}` : ''}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
    }
    policy = parsed.data;
  }
  if (overrides.expectPorts) policy = { ...policy, allowedPorts: overrides.expectPorts };
  return policy;
}
