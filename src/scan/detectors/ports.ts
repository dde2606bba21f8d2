import { posix } from 'node:path';
import { isLoopback, isWildcard, listSockets, socketOwners, type Socket } from '../../host/net.js';
import { listProcesses, type ProcessInfo } from '../../host/proc.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { containerOfPid } from '../containers/attribution.js';

/** Services that must never face the network (the hardening guide keeps Redis internal). */
const SENSITIVE: Record<number, string> = {
  6379: 'Redis',
  5432: 'PostgreSQL',
  3306: 'MySQL',
  27017: 'MongoDB',
  9200: 'Elasticsearch',
  11211: 'memcached',
  2375: 'Docker API (unauthenticated)',
  2376: 'Docker API',
  10250: 'kubelet',
};
const SHELL = /^(ba|da|z|k|c|tc|fi)?sh$|^(nc|ncat|netcat|nc\.(traditional|openbsd)|socat|telnet|busybox|openssl)$/;
const INTERPRETER = /^(python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*|node|lua[\d.]*)$/;

/** Shells and netcat always count; an interpreter only when it runs inline code (python -c), not an app. */
function shellish(name: string, p?: ProcessInfo): boolean {
  if (SHELL.test(name)) return true;
  return Boolean(p && INTERPRETER.test(name) && classifyCommand(p.cmdline).some((s) => s.rule === 'inline-interpreter' || s.rule === 'reverse-shell'));
}
const QUIET_UDP = new Set([53, 67, 68, 123, 323, 546, 547, 5353]);


function processName(p?: ProcessInfo): string {
  return p ? posix.basename(p.exe ?? p.comm) : 'owner unknown';
}

/** What to do about a listener; when no process owns the socket, say what is known and why the owner is not. */
function listenerNext(name: string | undefined, s: Socket): string {
  const fix = 'bind it to 127.0.0.1 or close it, and keep the firewall to the allowed ports.';
  if (name) return `Find why ${name} listens on ${s.localPort}; ${fix}`;
  return `No process in /proc holds socket inode ${s.inode} (uid ${s.uid}, ${s.proto} ${s.localAddress}:${s.localPort}): a kernel socket (NFS, WireGuard), a process in another PID namespace, one that exited, or /proc/PID/fd unreadable without root (use --sudo). Run ss -lnpe 'sport = :${s.localPort}' as root on the host to name it; then ${fix}`;
}

export const ports: Detector = {
  id: 'ports',
  title: 'Listening ports and established connections, per network namespace, with their processes',
  category: 'network',
  attack: ['T1571', 'T1059.004', 'T1205'],
  locations: ['/proc/PID/net/{tcp,tcp6,udp,udp6} (one PID per network namespace)', '/proc/*/fd/* (lstat: socket owners)', '/proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid,cgroup}'],
  liveOnly: true,
  async run({ target, policy, facts }) {
    const c = new Collector('ports', 'network', target.name);
    const procs = await listProcesses(target);
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const hostNs = byPid.get(1)?.netns ?? procs.find((p) => p.pid === process.pid)?.netns;
    const sockets = (await listSockets(target, procs)).filter((s) => s.inode !== 0 || s.state === 'LISTEN');
    const interesting = sockets.filter((s) => s.state === 'LISTEN' || s.state === 'UNCONN' || s.state === 'ESTABLISHED');
    const owners = await socketOwners(target, procs, new Set(interesting.map((s) => s.inode)));
    const users = new Map((await facts.accounts()).map((a) => [a.uid, a.name]));
    const seen = new Set<string>();
    for (const s of interesting) {
      const pid = owners.get(s.inode)?.[0];
      const p = pid !== undefined ? byPid.get(pid) : undefined;
      const inContainer = s.netns !== undefined && hostNs !== undefined && s.netns !== hostNs;
      const container = inContainer && p ? ((await containerOfPid(target, p.pid)) ?? undefined) : undefined;
      const dedupe = `${s.proto}|${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}|${s.netns}|${pid}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      c.examined++;
      const name = processName(p);
      const reasons: string[] = [];
      let severity: Severity = 'info';
      const rise = (sev: Severity, why: string) => {
        severity = maxSeverity(severity, sev);
        reasons.push(why);
      };
      const listening = s.state === 'LISTEN' || s.state === 'UNCONN';
      if (listening) {
        const exposed = !isLoopback(s.localAddress);
        const allowed = policy.allowedPorts.includes(s.localPort);
        if (exposed && !inContainer) {
          const sensitive = SENSITIVE[s.localPort];
          if (sensitive) rise(s.localPort === 2375 ? 'critical' : 'high', `${sensitive} listening on ${isWildcard(s.localAddress) ? 'all interfaces' : s.localAddress}`);
          else if (!allowed && !(s.state === 'UNCONN' && QUIET_UDP.has(s.localPort))) {
            rise(s.state === 'UNCONN' ? 'low' : 'medium', `port ${s.localPort} is not in the policy's allowed ports (${policy.allowedPorts.join(', ')})`);
          }
        }
        if (p && shellish(name, p)) rise('high', `${name} is listening: a bind shell or ad-hoc listener`);
      } else {
        if (p && shellish(name, p) && !isLoopback(s.remoteAddress)) rise('high', `${name} (pid ${pid}) has a connection out to ${s.remoteAddress}:${s.remotePort}: a shell or interpreter talking out`);
        else if (p && shellish(name, p)) rise('medium', `${name} (pid ${pid}) is connected to ${s.remoteAddress}:${s.remotePort}`);
        else continue; // ordinary connections are not findings
      }
      const where = listening ? `${s.localAddress}:${s.localPort}` : `${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`;
      const user = p ? users.get(p.uid) ?? String(p.uid) : users.get(s.uid);
      c.add({
        rule: severity === 'info' ? (listening ? 'ports.listener' : 'ports.connection') : listening ? 'ports.unexpected-listener' : 'ports.shell-connection',
        key: instanceKey('ports', `${s.proto}:${listening ? `${s.localAddress}:${s.localPort}` : `${s.remoteAddress}:${s.remotePort}`}${container ? `@${container.ident}` : ''}`, listening ? name : `${name} ${s.state}`),
        contentHash: contentHash(s.proto, s.localAddress, s.localPort, p?.exe ?? name),
        severity,
        title: `${listening ? 'Listening' : 'Connection'} ${s.proto} ${where} (${name}${pid !== undefined ? ` pid ${pid}` : ''})${container ? ` in container ${container.ref.name}` : ''}`,
        ...(container ? { container: container.ref } : {}),
        port: s.localPort,
        pid,
        user,
        evidence: `${s.proto} ${s.state} ${where} ${p?.cmdline ?? ''}`.trim(),
        attack: listening ? 'T1571' : 'T1059.004',
        reason: reasons.join('; ') || (listening ? (isLoopback(s.localAddress) ? 'listener on loopback (inventory)' : inContainer ? 'listener inside a container namespace (inventory)' : 'allowed listener (inventory)') : 'connection (inventory)'),
        remediation: severity !== 'info' ? (listening ? listenerNext(p ? name : undefined, s) : `Preserve pid ${pid} (ir collect), then cut it off (ir isolate) and kill it.`) : undefined,
        details: { proto: s.proto, state: s.state, local: `${s.localAddress}:${s.localPort}`, remote: listening ? undefined : `${s.remoteAddress}:${s.remotePort}`, netns: s.netns, container: container?.ref.name, cmdline: p?.cmdline },
      });
    }
    return c.result();
  },
};

export type { Socket };
