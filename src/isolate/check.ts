import { composeContainers } from '../docker/compose.js';
import { containerStates } from '../docker/containers.js';
import type { Target } from '../host/target.js';
import { utcNow } from '../core/time.js';
import type { ActionResult, CheckResult, ContainerJournal, ContainerState, Mode, SelfTest } from './schema.js';

function netSummary(c: ContainerState): string {
  return c.networks.map((n) => n.network).join(',') || 'no network';
}

/**
 * Proves the isolation: after down no container of the project exists; after stop, pause or network
 * each container that was acted on is stopped, paused or on no network.
 */
export async function isolationSelfTest(target: Target, project: string, mode: Mode, actions: ActionResult[]): Promise<SelfTest> {
  const checks: CheckResult[] = [];
  if (mode === 'down') {
    const left = (await composeContainers(target)).filter((c) => c.labels['com.docker.compose.project'] === project);
    checks.push({ subject: project, ok: left.length === 0, expected: 'no container of the project', actual: left.length ? left.map((c) => `${c.name} ${c.state}`).join(', ') : 'none' });
  } else {
    const ids = [...new Set(actions.filter((a) => a.containerId).map((a) => a.containerId!))];
    const now = new Map((await containerStates(target, ids)).map((c) => [c.id, c]));
    for (const id of ids) {
      const c = now.get(id);
      const name = actions.find((a) => a.containerId === id)!.subject;
      if (!c) {
        checks.push({ subject: name, ok: false, expected: mode, actual: 'container is gone' });
        continue;
      }
      if (mode === 'stop') checks.push({ subject: name, ok: !c.running, expected: 'stopped', actual: c.state });
      else if (mode === 'pause') checks.push({ subject: name, ok: c.paused, expected: 'paused', actual: c.state });
      else checks.push({ subject: name, ok: c.networks.filter((n) => n.network !== 'none').length === 0, expected: 'no network', actual: netSummary(c) });
    }
  }
  return { at: utcNow(), ok: checks.every((c) => c.ok), checks };
}

/** One look at the state after restore: running, unpaused, same networks and aliases, healthy where checked. */
export async function restoreCheckOnce(target: Target, j: ContainerJournal): Promise<{ check: SelfTest; settled: boolean }> {
  const checks: CheckResult[] = [];
  let settled = true;
  const wasRunning = j.before.filter((c) => c.running);
  let now: ContainerState[];
  if (j.mode === 'down') {
    const rows = (await composeContainers(target)).filter((c) => c.labels['com.docker.compose.project'] === j.project.name);
    now = await containerStates(target, rows.map((r) => r.id));
  } else {
    now = await containerStates(target, j.before.map((c) => c.id));
  }
  for (const b of wasRunning) {
    // compose up recreates containers: match them by service after down, by id otherwise
    const c = j.mode === 'down' ? now.find((x) => x.service === b.service && x.name === b.name) ?? now.find((x) => x.service === b.service) : now.find((x) => x.id === b.id);
    if (!c) {
      checks.push({ subject: b.name, ok: false, expected: 'running', actual: 'missing' });
      continue;
    }
    const problems: string[] = [];
    if (!c.running || c.paused) problems.push(c.state);
    const missingNets = b.networks.filter((n) => {
      const m = c.networks.find((x) => x.network === n.network);
      return !m || !n.aliases.every((a) => m.aliases.includes(a) || a === b.id.slice(0, 12));
    });
    if (missingNets.length) problems.push(`missing network/aliases: ${missingNets.map((n) => n.network).join(',')}`);
    if (c.hasHealthcheck && c.health !== 'healthy') {
      problems.push(`health ${c.health ?? 'unknown'}`);
      if (c.health === 'starting' || c.health === undefined) settled = false;
    }
    if (c.running && !c.paused && problems.length === 0) checks.push({ subject: b.name, ok: true, expected: 'running', actual: `${c.state}${c.health ? ` (${c.health})` : ''}, ${netSummary(c)}` });
    else {
      if (!c.running && c.state !== 'exited' && c.state !== 'dead') settled = false;
      checks.push({ subject: b.name, ok: false, expected: 'running', actual: problems.join('; ') });
    }
  }
  return { check: { at: utcNow(), ok: checks.every((c) => c.ok), checks }, settled };
}

/** Polls until every container runs and every healthcheck has an answer, or `timeoutMs` passes. */
export async function restoreCheck(target: Target, j: ContainerJournal, timeoutMs: number): Promise<SelfTest> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { check, settled } = await restoreCheckOnce(target, j);
    if (check.ok || (settled && Date.now() > end - timeoutMs + 5_000) || Date.now() > end) return check;
    await new Promise((r) => setTimeout(r, 500));
  }
}
