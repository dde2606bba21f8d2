import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { containerStates } from '../docker/containers.js';
import type { Target } from '../host/target.js';
import { compactUtc, utcNow } from '../core/time.js';
import { runActions } from './act.js';
import { isolationSelfTest } from './check.js';
import { JOURNAL_NAME, writeJournal } from './journal.js';
import { isolationPlan, type Plan } from './plan.js';
import { composeCall, findProject, projectRef, type ProjectChoice } from './project.js';
import type { ActionResult, ContainerJournal, IsolateResult, Mode, ProjectRef, Step } from './schema.js';
import { Snapshot } from './snapshot.js';
import type { LayerLimits } from '../docker/layer-evidence.js';

export interface IsolateOptions extends ProjectChoice {
  mode: Mode;
  caseDir?: string;
  dryRun: boolean;
  snapshot: boolean;
  argv: string[];
  toolVersion: string;
  /** bounds of each container's writable layer in the snapshot */
  layerLimits?: LayerLimits;
  /** shows the plan and asks; throws to stop before anything is written or changed; may say how it was confirmed */
  confirm: (p: { project: ProjectRef; plan: Plan; caseDir: string }) => Promise<unknown>;
  onProgress?: (what: string) => void;
}

export function defaultCaseDir(project: string, now = new Date()): string {
  return join('cases', `${project.replace(/[^A-Za-z0-9._-]/g, '_')}-${compactUtc(now)}`);
}

const secs = (from: number) => Math.round((performance.now() - from) / 10) / 100;

/** Snapshot first, then act, then prove it acted; the journal records each step as it happens. */
export async function isolateProject(target: Target, o: IsolateOptions): Promise<IsolateResult> {
  const t0 = performance.now();
  const found = await findProject(target, o);
  const project = projectRef(found);
  const compose = await composeCall(target, project, { needFiles: o.mode === 'down' });
  const before = await containerStates(target, found.containers.map((c) => c.id));
  const plan = isolationPlan({ project, mode: o.mode, compose, before });
  const caseDir = o.caseDir ?? defaultCaseDir(project.name);
  const base = { case: caseDir, journal: join(caseDir, JOURNAL_NAME), project, mode: o.mode, before, plan: plan.actions };
  if (o.dryRun) return { ...base, dryRun: true, snapshot: null, actions: [], seconds: { total: secs(t0) } };

  const confirmed = await o.confirm({ project, plan, caseDir });
  await fsp.mkdir(caseDir, { recursive: true, mode: 0o700 });
  const journal: ContainerJournal = {
    version: 1,
    kind: 'containers',
    host: target.name,
    project,
    mode: o.mode,
    compose,
    argv: o.argv,
    toolVersion: o.toolVersion,
    createdAt: utcNow(),
    before,
    snapshot: null,
    snapshotSkipped: o.snapshot ? undefined : `--no-snapshot (${typeof confirmed === 'string' ? confirmed : 'confirmed'})`,
    plan: plan.actions,
    actions: [],
    restores: [],
  };
  // the before-state is on disk before the first change
  await writeJournal(caseDir, journal);

  // evidence first, cut second, copy third, destroy last: the attacker does not run while we copy,
  // and nothing is removed before its layer is in the case
  journal.steps = [];
  const step = async <T>(name: Step['step'], fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> => {
    const startedAt = utcNow();
    const s: Step = { step: name, startedAt, endedAt: startedAt, ok: false };
    journal.steps!.push(s);
    try {
      const r = await fn();
      s.ok = true;
      const d = detail?.(r);
      if (d) s.detail = d;
      return r;
    } catch (err) {
      s.detail = (err as Error).message;
      throw err;
    } finally {
      s.endedAt = utcNow();
      await writeJournal(caseDir, journal);
    }
  };
  const onDone = async (r: ActionResult) => {
    journal.actions.push(r);
    await writeJournal(caseDir, journal);
  };
  const cut = plan.actions.filter((a) => a.kind !== 'compose-down');
  const destroy = plan.actions.filter((a) => a.kind === 'compose-down');

  let tSnap = 0;
  let snap: Snapshot | null = null;
  if (o.snapshot) {
    const t = performance.now();
    snap = await Snapshot.open({ target, caseDir, project: project.name, containers: before, argv: o.argv, toolVersion: o.toolVersion, layerLimits: o.layerLimits, onProgress: o.onProgress });
    try {
      await step('snapshot', () => snap!.volatile(), () => 'logs, inspect, diff, top, stats, networks, tmpfs');
    } catch (err) {
      await snap.abort();
      throw err;
    }
    tSnap += performance.now() - t;
  }

  const tAct = performance.now();
  o.onProgress?.(`isolating ${project.name} (${o.mode})`);
  if (cut.length) await step('cut', () => runActions(target, cut, onDone), (rs) => `${rs.filter((r) => r.ok).length}/${rs.length} actions ok`);
  let act = performance.now() - tAct;

  if (snap) {
    const t = performance.now();
    try {
      await step('copy-layers', () => snap!.layers(), () => `${snap!.layerCopies.length} writable layer(s)`);
      journal.snapshot = await step('seal-snapshot', () => snap!.finish(), (r) => `${r.path} sha256 ${r.sha256}`);
    } catch (err) {
      await snap.abort();
      throw err;
    }
    tSnap += performance.now() - t;
  }

  if (destroy.length) {
    const t = performance.now();
    await step('destroy', () => runActions(target, destroy, onDone), (rs) => (rs.every((r) => r.ok) ? 'compose down done' : 'compose down FAILED'));
    act += performance.now() - t;
  }

  const tTest = performance.now();
  o.onProgress?.('self-test');
  journal.selfTest = await step('self-test', () => isolationSelfTest(target, project.name, o.mode, journal.actions), (r) => (r.ok ? 'passed' : 'FAILED'));
  await writeJournal(caseDir, journal);
  return {
    ...base,
    dryRun: false,
    snapshot: journal.snapshot,
    actions: journal.actions,
    steps: journal.steps,
    selfTest: journal.selfTest,
    seconds: { snapshot: o.snapshot ? Math.round(tSnap / 10) / 100 : undefined, act: Math.round(act / 10) / 100, selfTest: secs(tTest), total: secs(t0) },
  };
}
