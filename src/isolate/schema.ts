import { z } from 'zod';
import { ContainerState } from '../docker/containers.js';

/**
 * The isolation journal (`isolation.json` in the case directory): the state before, the plan and every
 * action with its time and result. `ir restore` reads nothing else, so it undoes exactly what was done.
 */

import { MODES } from './modes.js';

export { MODES, MODE_KEEPS } from './modes.js';
export const Mode = z.enum(MODES);
export type Mode = z.infer<typeof Mode>;

export { ContainerState, NetworkAttachment, RestartPolicy } from '../docker/containers.js';

export const ComposeCall = z.object({
  flavor: z.enum(['v2', 'v1']),
  /** `docker compose` or `docker-compose` with -p, -f and --project-directory */
  argv: z.array(z.string()),
});
export type ComposeCall = z.infer<typeof ComposeCall>;

export const ProjectRef = z.object({
  name: z.string(),
  workingDir: z.string().optional(),
  configFiles: z.array(z.string()),
});
export type ProjectRef = z.infer<typeof ProjectRef>;

export const Action = z.object({
  /** what the action does, in the field's words: `stop`, `disconnect`, `compose-down`, ... */
  kind: z.enum(['compose-down', 'compose-up', 'update-restart', 'stop', 'start', 'pause', 'unpause', 'disconnect', 'connect']),
  /** container name, or the project for compose-wide actions */
  subject: z.string(),
  containerId: z.string().optional(),
  argv: z.array(z.string()),
  why: z.string().optional(),
});
export type Action = z.infer<typeof Action>;

export const ActionResult = Action.extend({
  startedAt: z.string(),
  endedAt: z.string(),
  code: z.number().int().nullable(),
  ok: z.boolean(),
  /** first stderr lines when the command failed or complained */
  stderr: z.string().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const CheckResult = z.object({
  subject: z.string(),
  ok: z.boolean(),
  expected: z.string(),
  actual: z.string(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const SelfTest = z.object({
  at: z.string(),
  ok: z.boolean(),
  checks: z.array(CheckResult),
});
export type SelfTest = z.infer<typeof SelfTest>;

/** One container's writable layer in the snapshot (docker/<project>/<container>/layer/). */
export const LayerCopy = z.object({
  name: z.string(),
  /** read from the layer directory, the running view, docker cp, or not at all */
  how: z.enum(['layer', 'running', 'docker-cp', 'none']),
  files: z.number().int(),
  links: z.number().int(),
  bytes: z.number().int(),
  deleted: z.number().int(),
  cut: z.number().int(),
  skipped: z.number().int(),
});
export type LayerCopy = z.infer<typeof LayerCopy>;

export const SnapshotRef = z.object({
  path: z.string(),
  sha256: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  skipped: z.number().int(),
  layers: z.array(LayerCopy).optional(),
});
export type SnapshotRef = z.infer<typeof SnapshotRef>;

/** One step of the isolation, in the order it ran: evidence first, cut, copy, destroy last. */
export const Step = z.object({
  step: z.enum(['snapshot', 'cut', 'copy-layers', 'seal-snapshot', 'destroy', 'self-test']),
  startedAt: z.string(),
  endedAt: z.string(),
  ok: z.boolean(),
  detail: z.string().optional(),
});
export type Step = z.infer<typeof Step>;

export const RestoreRecord = z.object({
  startedAt: z.string(),
  endedAt: z.string(),
  actions: z.array(ActionResult),
  check: SelfTest,
});
export type RestoreRecord = z.infer<typeof RestoreRecord>;

export const ContainerJournal = z.object({
  version: z.literal(1),
  kind: z.literal('containers'),
  host: z.string(),
  project: ProjectRef,
  mode: Mode,
  compose: ComposeCall.nullable(),
  argv: z.array(z.string()),
  toolVersion: z.string(),
  createdAt: z.string(),
  before: z.array(ContainerState),
  snapshot: SnapshotRef.nullable(),
  /** why there is no snapshot (--no-snapshot, confirmed twice) */
  snapshotSkipped: z.string().optional(),
  plan: z.array(Action),
  actions: z.array(ActionResult),
  /** each step with its time (journals of older versions have none) */
  steps: z.array(Step).optional(),
  selfTest: SelfTest.optional(),
  restores: z.array(RestoreRecord),
});
export type ContainerJournal = z.infer<typeof ContainerJournal>;

/** What `ir isolate` returns (and `--json` prints). */
export const IsolateResult = z.object({
  case: z.string(),
  journal: z.string(),
  dryRun: z.boolean(),
  project: ProjectRef,
  mode: Mode,
  before: z.array(ContainerState),
  plan: z.array(Action),
  snapshot: SnapshotRef.nullable(),
  actions: z.array(ActionResult),
  steps: z.array(Step).optional(),
  selfTest: SelfTest.optional(),
  seconds: z.object({ snapshot: z.number().optional(), act: z.number().optional(), selfTest: z.number().optional(), total: z.number() }),
});
export type IsolateResult = z.infer<typeof IsolateResult>;

export const RestoreResult = z.object({
  case: z.string(),
  dryRun: z.boolean(),
  plan: z.array(Action),
  record: RestoreRecord.optional(),
  seconds: z.number(),
});
export type RestoreResult = z.infer<typeof RestoreResult>;
