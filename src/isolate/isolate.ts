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
import type { ContainerJournal, IsolateResult, Mode, ProjectRef } from './schema.js';
import { takeSnapshot } from './snapshot.js';

export interface IsolateOptions extends ProjectChoice {
  mode: Mode;
  caseDir?: string;
  dryRun: boolean;
  snapshot: boolean;
  argv: string[];
  toolVersion: string;
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

  let tSnap: number | undefined;
  if (o.snapshot) {
    const t = performance.now();
    journal.snapshot = await takeSnapshot({ target, caseDir, project: project.name, containers: before, argv: o.argv, toolVersion: o.toolVersion, onProgress: o.onProgress });
    tSnap = secs(t);
    await writeJournal(caseDir, journal);
  }

  const tAct = performance.now();
  o.onProgress?.(`isolating ${project.name} (${o.mode})`);
  await runActions(target, plan.actions, async (r) => {
    journal.actions.push(r);
    await writeJournal(caseDir, journal);
  });
  const act = secs(tAct);

  const tTest = performance.now();
  o.onProgress?.('self-test');
  journal.selfTest = await isolationSelfTest(target, project.name, o.mode, journal.actions);
  await writeJournal(caseDir, journal);
  return {
    ...base,
    dryRun: false,
    snapshot: journal.snapshot,
    actions: journal.actions,
    selfTest: journal.selfTest,
    seconds: { snapshot: tSnap, act, selfTest: secs(tTest), total: secs(t0) },
  };
}
