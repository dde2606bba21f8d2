import { containerInventory, type ContainerRecord } from '../../docker/storage.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';

const DATA_ROOT = '/var/lib/docker';
const ESCAPE_CAPS = /^(ALL|CAP_)?(SYS_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH|SYS_RAWIO|BPF)$/i;
/** Host paths whose bind mount hands the host to the container. */
const HOST_MOUNTS: [RegExp, Severity, string][] = [
  [/^\/$/, 'critical', 'the host root file system'],
  [/^\/(var\/)?run\/docker\.sock$|^\/(var\/)?run\/containerd\/containerd\.sock$/, 'critical', 'the Docker socket (root on the host)'],
  [/^\/(etc|root|boot|usr|lib|bin|sbin|proc|sys|dev)(\/|$)/, 'high', 'a host system directory'],
  [/^\/(home|var\/log|var\/lib\/docker)(\/|$)/, 'medium', 'host user or log data'],
];

/** What judging a container's reach into the host needs (the engine's record of it). */
export type ContainerInfo = Pick<ContainerRecord, 'id' | 'name' | 'image' | 'running' | 'restart' | 'privileged' | 'pidMode' | 'networkMode' | 'capAdd' | 'mounts' | 'labels'>;

export function judgeContainer(k: ContainerInfo): { severity: Severity; reasons: string[]; escape: boolean } | null {
  const reasons: string[] = [];
  let severity: Severity | null = null;
  let escape = false;
  const set = (s: Severity, why: string, isEscape = true) => {
    severity = severity ? maxSeverity(severity, s) : s;
    reasons.push(why);
    escape ||= isEscape;
  };
  if (k.privileged) set('high', 'privileged: every device and capability of the host');
  for (const m of k.mounts) {
    const hit = HOST_MOUNTS.find(([re]) => re.test(m.source));
    if (hit) set(hit[1], `mounts ${hit[2]} (${m.source} → ${m.destination})`);
  }
  if (k.pidMode === 'host') set('high', 'shares the host PID namespace (sees and can signal or ptrace host processes)');
  if (k.networkMode === 'host') set('medium', 'shares the host network namespace (listens and sniffs as the host)');
  const caps = k.capAdd.filter((x) => ESCAPE_CAPS.test(x));
  if (caps.length) set('high', `adds ${caps.join(', ')}`);
  if (!severity) return null;
  return { severity, reasons, escape };
}

export const containers: Detector = {
  id: 'containers',
  title: "Containers that are privileged, mount the host or its Docker socket, or share its namespaces; inside each container, its writable layer (added executables, web shells, changed package files, cron, keys and startup files added, logs deleted or cut)",
  category: 'privilege',
  attack: ['T1610', 'T1611', 'T1505.003', 'T1554', 'T1070.002'],
  locations: ['docker ps -a / docker inspect (live)', `${DATA_ROOT}/containers/*/config.v2.json`, `${DATA_ROOT}/containers/*/hostconfig.json`, '/proc/PID/root of each running container (its own view, mounts included)', `<data root>/image/overlay2/layerdb/mounts/<id>/mount-id, <data root>/overlay2/<mount-id>/{diff,lower} (writable and image layers)`, 'docker diff, docker cp (other storage drivers, unreadable layers)'],
  async run(ctx) {
    const c = new Collector('containers', 'privilege', ctx.target.name);
    let list: ContainerRecord[];
    try {
      list = (await containerInventory(ctx.target)).containers;
    } catch (err) {
      c.warn(`containers could not be listed: ${(err as Error).message}`);
      return c.result();
    }
    for (const k of list) {
      c.examined++;
      const persistent = /^(always|unless-stopped)$/.test(k.restart);
      if (!k.running && !persistent) continue;
      const v = judgeContainer(k);
      if (!v) continue;
      const project = k.labels['com.docker.compose.project'];
      const service = k.labels['com.docker.compose.service'];
      const ident = project && service ? `${project}/${service}` : k.name;
      c.add({
        rule: v.escape ? 'containers.host-escape' : 'containers.risky',
        key: instanceKey('containers', ident, 'container'),
        contentHash: contentHash(k.image, String(k.privileged), k.pidMode, k.networkMode, k.capAdd.join(','), k.mounts.map((m) => `${m.source}:${m.destination}`).sort().join(',')),
        severity: v.severity,
        title: `Container ${k.name} can reach the host: ${v.reasons[0]}`,
        evidence: `${k.name} image=${k.image} privileged=${k.privileged} pid=${k.pidMode || 'private'} net=${k.networkMode} restart=${k.restart || 'no'} mounts=${k.mounts.filter((m) => m.source.startsWith('/')).map((m) => `${m.source}:${m.destination}`).join(',')}`,
        attack: v.escape ? 'T1611' : 'T1610',
        reason: [...v.reasons, k.running ? 'running' : `not running, restart policy ${k.restart} brings it back`].join('; '),
        remediation: `Check who created ${k.name} (compose file${project ? ` of project ${project}` : ''}, docker events); stop it and preserve it with docker export before removal.`,
        details: { id: k.id, image: k.image, running: k.running, restart: k.restart, project, service, mounts: k.mounts.map((m) => ({ source: m.source, destination: m.destination })) },
      });
    }
    return c.result();
  },
};
