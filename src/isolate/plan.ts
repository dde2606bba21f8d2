import { restartFlag, startOrder } from '../docker/containers.js';
import type { Action, ComposeCall, ContainerJournal, ContainerState, Mode, ProjectRef } from './schema.js';

export interface PlanInput {
  project: ProjectRef;
  mode: Mode;
  compose: ComposeCall | null;
  before: ContainerState[];
}

export interface Plan {
  actions: Action[];
  /** what the plan cannot do (a container on the host network cannot be disconnected) */
  warnings: string[];
}

const LONG = { timeoutMs: 180_000 };
export const ACTION_TIMEOUT_MS = LONG.timeoutMs;

/** The exact docker commands, per container, that isolate the project in this mode. */
export function isolationPlan(input: PlanInput): Plan {
  const { mode, before } = input;
  const actions: Action[] = [];
  const warnings: string[] = [];
  const live = before.filter((c) => c.running);
  // stop (and down, which stops first: the writable layers are copied between the stop and the removal)
  const stopAll = () => {
    for (const c of startOrder(live).reverse()) {
      if (c.restartPolicy.name !== 'no') {
        actions.push({ kind: 'update-restart', subject: c.name, containerId: c.id, argv: ['docker', 'update', '--restart', 'no', c.id], why: `restart policy ${restartFlag(c.restartPolicy)} would start it again when dockerd restarts` });
      }
      actions.push({ kind: 'stop', subject: c.name, containerId: c.id, argv: ['docker', 'stop', c.id] });
    }
  };
  if (mode === 'down') {
    if (!input.compose) throw new Error('down needs compose');
    stopAll();
    actions.push({
      kind: 'compose-down',
      subject: input.project.name,
      argv: [...input.compose.argv, 'down'],
      why: `removes ${before.map((c) => c.name).join(', ')} and the project's networks after their writable layers are copied; volumes are kept (never -v)`,
    });
    return { actions, warnings };
  }
  if (mode === 'stop') {
    stopAll();
  } else if (mode === 'pause') {
    for (const c of live.filter((x) => !x.paused)) actions.push({ kind: 'pause', subject: c.name, containerId: c.id, argv: ['docker', 'pause', c.id] });
    for (const c of live.filter((x) => x.paused)) warnings.push(`${c.name} is already paused; left as it is`);
  } else {
    for (const c of before) {
      if (c.networkMode === 'host') warnings.push(`${c.name} uses the host's network (network_mode: host) and cannot be disconnected: use --mode pause or stop`);
      else if (c.networkMode.startsWith('container:')) warnings.push(`${c.name} shares the network of ${c.networkMode.slice(10)}: isolate that container too`);
      for (const n of c.networks) {
        if (n.network === 'host' || n.network === 'none') continue;
        actions.push({ kind: 'disconnect', subject: c.name, containerId: c.id, argv: ['docker', 'network', 'disconnect', n.network, c.id], why: `aliases ${n.aliases.join(',') || '-'}${n.ipv4 ? `, ${n.ipv4}` : ''}` });
      }
    }
  }
  if (actions.length === 0) warnings.push(`nothing to do in mode ${mode}: no container of ${input.project.name} is running`);
  return { actions, warnings };
}

/** Undoes exactly the actions of the journal that succeeded, last first. */
export function restorePlan(j: ContainerJournal): Action[] {
  const out: Action[] = [];
  const byId = new Map(j.before.map((c) => [c.id, c]));
  // after down the stopped containers are gone: compose up makes new ones, with the compose file's restart policy
  const removed = j.actions.some((a) => a.kind === 'compose-down' && a.ok);
  for (const a of [...j.actions].reverse()) {
    if (!a.ok) continue;
    if (removed && a.kind !== 'compose-down') continue;
    const c = a.containerId ? byId.get(a.containerId) : undefined;
    switch (a.kind) {
      case 'compose-down':
        if (!j.compose) break;
        out.push({ kind: 'compose-up', subject: j.project.name, argv: [...j.compose.argv, 'up', '-d'], why: 'recreates the containers removed by down (new ids)' });
        break;
      case 'update-restart':
        if (c) out.push({ kind: 'update-restart', subject: a.subject, containerId: a.containerId, argv: ['docker', 'update', '--restart', restartFlag(c.restartPolicy), c.id], why: 'the restart policy it had before' });
        break;
      case 'stop':
        out.push({ kind: 'start', subject: a.subject, containerId: a.containerId, argv: ['docker', 'start', a.containerId!] });
        break;
      case 'pause':
        out.push({ kind: 'unpause', subject: a.subject, containerId: a.containerId, argv: ['docker', 'unpause', a.containerId!] });
        break;
      case 'disconnect': {
        const net = a.argv[3]!;
        const n = c?.networks.find((x) => x.network === net);
        const argv = ['docker', 'network', 'connect'];
        for (const alias of n?.aliases ?? []) argv.push('--alias', alias);
        if (n?.staticIpv4) argv.push('--ip', n.staticIpv4);
        if (n?.staticIpv6) argv.push('--ip6', n.staticIpv6);
        argv.push(net, a.containerId!);
        out.push({ kind: 'connect', subject: a.subject, containerId: a.containerId, argv, why: n?.ipv4 ? `had ${n.ipv4}` : undefined });
        break;
      }
      default:
        break;
    }
  }
  return out;
}
