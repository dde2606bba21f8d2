import { posix } from 'node:path';
import { listProcesses, type ProcessInfo } from '../../host/proc.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { containerOfPid } from '../containers/attribution.js';

const WRITABLE = /^(\/tmp|\/var\/tmp|\/dev\/shm|\/run\/shm)\//;
/** Interpreters whose comm legitimately differs from the script they run. */
const INTERPRETER = /^(python|perl|ruby|node|java|php|bash|sh|dash|zsh|ksh|busybox|lua|tclsh|Xvfb)/;

/** What makes one process suspicious: attacker idioms in its command line, its executable, its disguise. */
export function judgeProcess(p: ProcessInfo): { severity: Severity; rules: string[]; reasons: string[] } {
  const rules: string[] = [];
  const reasons: string[] = [];
  let severity: Severity = 'info';
  const rise = (rule: string, s: Severity, why: string) => {
    rules.push(rule);
    reasons.push(why);
    severity = maxSeverity(severity, s);
  };
  for (const s of classifyCommand(p.cmdline)) {
    // a command line naming /tmp is common (editors, build tools); only the executable's place counts below
    if (s.rule === 'writable-dir' || s.rule === 'hidden-path') continue;
    rise(s.rule, s.severity, s.reason);
  }
  if (p.exeDeleted) rise('deleted-exe', 'high', `executable was deleted after start (${p.exe})`);
  if (p.exe && WRITABLE.test(p.exe)) rise('writable-exe', 'high', `runs from a world-writable directory (${p.exe})`);
  if (p.exe && /\/\.[^/]+\//.test(p.exe) && !/\/\.(venv|pyenv|nvm|cargo|rustup|local|vscode-server|cache)\//.test(p.exe)) rise('hidden-exe', 'medium', `runs from a hidden directory (${p.exe})`);
  const argv0 = p.argv[0] ?? '';
  if (p.exe && /^\[.*\]$/.test(argv0.trim())) rise('fake-kernel-thread', 'high', `user process disguised as a kernel thread (${argv0})`);
  else if (p.exe && argv0 && !p.kernelThread) {
    const exeBase = posix.basename(p.exe);
    const argBase = posix.basename(argv0.split(' ')[0]!).replace(/:$/, '');
    const related = (a: string, b: string) => a.startsWith(b.slice(0, 6)) || b.startsWith(a.slice(0, 6));
    if (!INTERPRETER.test(exeBase) && !related(exeBase, argBase) && !related(exeBase, p.comm) && !/^-/.test(argv0)) {
      rise('name-mismatch', 'low', `process name ${argBase} differs from its executable ${exeBase}`);
    }
  }
  return { severity, rules, reasons };
}

export const processes: Detector = {
  id: 'processes',
  title: 'Running processes: fetch-and-execute, reverse shells, inline interpreters, deleted or /tmp executables, disguises',
  category: 'process',
  attack: ['T1059.004', 'T1059.006', 'T1036.005', 'T1070.004'],
  locations: ['/proc/stat', '/proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (ns: namespaces)'],
  liveOnly: true,
  async run({ target }) {
    const c = new Collector('processes', 'process', target.name);
    const procs = await listProcesses(target);
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    for (const p of procs) {
      if (p.kernelThread || p.pid === process.pid) continue;
      c.examined++;
      const j = judgeProcess(p);
      if (j.rules.length === 0) continue;
      const parent = byPid.get(p.ppid);
      // a process in a container is the container's: its paths are the container's, its key its service's
      const inContainer = await containerOfPid(target, p.pid);
      c.add({
        rule: `process.${j.rules[0]}`,
        // processes come and go: the key is what runs, not the pid
        key: instanceKey('processes', `${inContainer ? `${inContainer.ident}:` : ''}${p.exe ?? p.comm}`, p.cmdline),
        contentHash: contentHash(p.exe, p.cmdline),
        severity: j.severity,
        title: `Suspicious process ${p.pid} (${p.comm})${inContainer ? ` in container ${inContainer.ref.name}` : ''}: ${j.reasons[0]}`,
        ...(inContainer ? { container: inContainer.ref } : {}),
        pid: p.pid,
        path: p.exe,
        evidence: p.cmdline || `[${p.comm}]`,
        attack: j.rules.includes('reverse-shell') ? 'T1059.004' : j.rules.includes('inline-interpreter') ? 'T1059.006' : j.rules.includes('fake-kernel-thread') || j.rules.includes('name-mismatch') ? 'T1036.005' : 'T1059',
        reason: j.reasons.join('; '),
        remediation: `Preserve it first (ir collect copies /proc/${p.pid}/exe and its memory maps), then kill it and find how it started (parent ${p.ppid}${parent ? ` ${parent.comm}` : ''}).`,
        details: { ppid: p.ppid, parent: parent?.cmdline, uid: p.uid, exe: p.exe, exeDeleted: p.exeDeleted, cwd: p.cwd, startTime: p.startTime, rules: j.rules },
      });
    }
    return c.result();
  },
};
