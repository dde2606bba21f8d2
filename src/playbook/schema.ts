import { z } from 'zod';

/** What a step ended as: the child's exit code 0/1/2, or why it never ran. */
export const STEP_STATUSES = ['ok', 'findings', 'error', 'skipped'] as const;
export const StepStatus = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatus>;

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name of letters, digits and dashes');
const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const ParamValue = z.union([Scalar, z.array(z.union([z.string(), z.number()]))]);

/** All given conditions must hold for the step to run. */
export const When = z
  .object({
    /** a variable has a value (`--set project=app`) */
    set: z.string().optional(),
    /** a variable has no value */
    unset: z.string().optional(),
    /** an earlier step of the same host ended with one of `status` */
    step: Name.optional(),
    status: z.array(StepStatus).min(1).optional(),
    /** the kind of target: local (no --host), ssh, image (--root) */
    target: z.array(z.enum(['local', 'ssh', 'image'])).min(1).optional(),
  })
  .strict()
  .refine((w) => (w.step === undefined) === (w.status === undefined), { message: 'when.step and when.status go together' });
export type When = z.infer<typeof When>;

export const Step = z
  .object({
    name: Name,
    /** an `ir` command id (`persistence-scan`, `evidence verify`) or the built-in `report` */
    command: z.string().min(1),
    description: z.string().optional(),
    /** the part of the written procedure this step carries out (the hardening guide's "Incident Response 3") */
    source: z.string().optional(),
    /** positional arguments of the command (auth-review's log files); templates allowed */
    args: z.array(z.string().regex(/^[^-]/, 'expected an argument that does not start with a dash')).default([]),
    /** parameters: each one a flag of the command (`fail-on: medium` → `--fail-on medium`) */
    with: z.record(z.string(), ParamValue).default({}),
    when: When.optional(),
    /** an error (exit 2) of this step does not stop the host's later steps */
    continue_on_error: z.boolean().default(false),
    /** the step changes the host: asked once before the run starts (or --yes) */
    confirm: z.boolean().default(false),
    /** seconds before the step is stopped (its remote commands killed) and counted as an error */
    timeout: z.number().int().positive().default(1800),
  })
  .strict();
export type Step = z.infer<typeof Step>;

/**
 * A variable with more than a default: `must_exist` makes every parameter built from it a path that
 * must exist when the variable is set (checked per host before anything runs), as the hygiene
 * playbook's `accepted` directory.
 */
export const VarSpec = z
  .object({
    default: Scalar.nullable().default(null),
    must_exist: z.boolean().default(false),
    description: z.string().optional(),
  })
  .strict();
export type VarSpec = z.infer<typeof VarSpec>;

export const Playbook = z
  .object({
    name: Name,
    version: z.number().int().positive(),
    description: z.string(),
    /** variables for templates (`{{project}}`), overridden by `--set NAME=VALUE`; null: unset */
    vars: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a variable name of a-z, 0-9 and _'), z.union([Scalar.nullable(), VarSpec])).default({}),
    steps: z.array(Step).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.steps.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'name'], message: `step name ${s.name} is used twice` });
      if (s.when?.step && !seen.has(s.when.step)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'when', 'step'], message: `expected the name of an earlier step, got ${s.when.step}` });
      seen.add(s.name);
    });
  });
export type Playbook = z.infer<typeof Playbook>;

/** The built-in step that writes report.md and report.html from the case directory. */
export const REPORT_COMMAND = 'report';

/** The playbook's variables with their defaults as text (null: unset). */
export function varDefaults(pb: Playbook): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(pb.vars).map(([k, v]) => {
      const d = v !== null && typeof v === 'object' ? v.default : v;
      return [k, d === null ? null : String(d)];
    }),
  );
}

/** Variables whose parameters name paths that must exist. */
export function mustExistVars(pb: Playbook): string[] {
  return Object.entries(pb.vars)
    .filter(([, v]) => v !== null && typeof v === 'object' && v.must_exist)
    .map(([k]) => k);
}
