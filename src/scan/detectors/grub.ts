import { createHash } from 'node:crypto';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { classifyCommand, type CommandSignal } from '../rules/command-line.js';
import { judgeExecTargets } from '../rules/exec-target.js';
import { entriesOf, isFileish, judgeScriptFile, provenance } from '../rules/judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir } from '../rules/location.js';
import { parseShell } from '../rules/shell-parse.js';
import { classifyShellLine, logicalLines } from '../rules/shell-script.js';
import { readBounded, NORMAL } from './util.js';

const ATTACK = 'T1542.003';
const DEFAULTS = '/etc/default/grub';
const DEFAULTS_D = '/etc/default/grub.d';
const SCRIPTS_D = '/etc/grub.d';
const GRUB_CFGS = ['/boot/grub/grub.cfg', '/boot/grub/custom.cfg', '/boot/grub2/grub.cfg'];
/** ucf keeps the md5 of /etc/default/grub as grub-pc last wrote it: equal means unchanged since install. */
const UCF_HASHFILE = '/var/lib/ucf/hashfile';

const INIT_OK = /^\/(usr\/)?(s?bin\/init|lib\/systemd\/systemd|bin\/systemd|sbin\/openrc-init)$|^\/init$/;
const SHELL = /(^|\/)(sh|bash|dash|zsh|ksh|ash|busybox)$/;
/** Kernel parameters seen on ordinary servers; anything else is listed (low), for a human to look at. */
const KNOWN = new RegExp(
  '^(quiet|splash|nosplash|ro|rw|text|single|noresume|nomodeset|debug|nofb|nokaslr|noefi|efi|edd|nosmt|nowatchdog|' +
    '(root|rootfstype|rootflags|rootdelay|rootwait|resume|resume_offset|console|earlyprintk|earlycon|loglevel|net\\.ifnames|biosdevname|ipv6\\.disable|cgroup_enable|cgroup_disable|cgroup_no_v1|swapaccount|' +
    'systemd\\.unified_cgroup_hierarchy|systemd\\.legacy_systemd_cgroup_controller|systemd\\.show_status|systemd\\.log_level|systemd\\.log_target|transparent_hugepage|mitigations|crashkernel|elevator|' +
    'intel_iommu|amd_iommu|iommu|pci|acpi|acpi_osi|acpi_backlight|apm|vga|video|fsck\\.mode|fsck\\.repair|hugepages|hugepagesz|default_hugepagesz|isolcpus|nohz_full|rcu_nocbs|' +
    'numa_balancing|panic|nmi_watchdog|tsc|clocksource|random\\.trust_cpu|consoleblank|max_loop|swiotlb|dom0_mem|nvme_core\\.[\\w.]+|scsi_mod\\.[\\w.]+|usbcore\\.[\\w.]+|' +
    'i915\\.[\\w.]+|nouveau\\.[\\w.]+|amdgpu\\.[\\w.]+|radeon\\.[\\w.]+|nvidia[\\w-]*\\.[\\w.]+|kvm[\\w-]*\\.[\\w.]+|libata\\.[\\w.]+|zswap\\.[\\w.]+|intel_idle\\.[\\w.]+|processor\\.[\\w.]+|plymouth\\.[\\w.]+|vt\\.[\\w.]+|' +
    'rd\\.(?!shell|break)[\\w.]+|BOOT_IMAGE|initrd|mem|memmap|reboot|idle|ignore_loglevel|printk\\.[\\w.]+|audit_backlog_limit|slub_debug|page_poison|init_on_alloc|init_on_free|' +
    'randomize_kstack_offset|vsyscall|pti|spectre_v2|spec_store_bypass_disable|l1tf|mds|tsx|tsx_async_abort|retbleed|lsm|apparmor|selinux|security|audit|module\\.sig_enforce|lockdown)=.*)$',
);

export interface ParamSignal extends CommandSignal {
  param: string;
  /** a file the parameter makes the kernel or systemd run */
  runs?: string;
}

/** What one kernel command line gives away: a foreign init, a boot-time command, a root shell, security switched off. */
export function judgeKernelParams(cmdline: string): { signals: ParamSignal[]; unusual: string[] } {
  const signals: ParamSignal[] = [];
  const unusual: string[] = [];
  const params = parseShell(cmdline).pipelines.flatMap((p) => p.stages.flat().flatMap((c) => [...c.assigns, ...c.words].map((w) => w.value)));
  // after `--` the words are arguments of init, not kernel parameters
  const end = params.indexOf('--');
  for (const param of end < 0 ? params : params.slice(0, end)) {
    const eq = param.indexOf('=');
    const key = eq < 0 ? param : param.slice(0, eq);
    const val = eq < 0 ? '' : param.slice(eq + 1);
    if ((key === 'init' || key === 'rdinit') && !INIT_OK.test(val)) {
      if (SHELL.test(val)) signals.push({ rule: 'init-shell', severity: 'high', reason: `boots into a root shell with no password (${param})`, param });
      else {
        const risky = inWorldWritableDir(val) || hiddenComponent(val) || inHomeDir(val);
        signals.push({ rule: 'init', severity: risky ? 'critical' : 'high', reason: `the kernel starts ${val} as PID 1 instead of the system's init${risky ? ', from a writable, hidden or home directory' : ''}`, param, runs: val });
      }
    } else if (key === 'systemd.run' || key === 'systemd.run_success_action' || key === 'systemd.run_failure_action') {
      if (key === 'systemd.run') {
        signals.push({ rule: 'systemd-run', severity: 'high', reason: `systemd runs a command at every boot (${clip(param, 120)})`, param, runs: val });
        for (const s of classifyCommand(val)) signals.push({ ...s, param });
      }
    } else if (key === 'systemd.debug_shell' || key === 'systemd.debug-shell') {
      if (!/^(0|no|false|off)$/.test(val)) signals.push({ rule: 'debug-shell', severity: 'high', reason: 'a root shell with no password on tty9 at every boot (systemd.debug_shell)', param });
    } else if (key === 'rd.shell' || key === 'rd.break' || key === 'rd.emergency') {
      if (!/^(0|no|false|off)$/.test(val)) signals.push({ rule: 'rescue-shell', severity: 'medium', reason: `drops to a shell in the initramfs (${param})`, param });
    } else if (/^LD_(PRELOAD|LIBRARY_PATH|AUDIT)$/.test(key)) {
      signals.push({ rule: 'ld-preload', severity: 'high', reason: `hands ${key} to init, so every process loads it (${param})`, param });
    } else if (
      (key === 'apparmor' && val === '0') ||
      (key === 'selinux' && val === '0') ||
      (key === 'enforcing' && val === '0') ||
      (key === 'security' && /^(none|)$/.test(val)) ||
      (key === 'audit' && val === '0') ||
      (key === 'lockdown' && val === 'none') ||
      (key === 'module.sig_enforce' && val === '0') ||
      (/^ima(_appraise)?$/.test(key) && /^(off|fix|log)$/.test(val))
    ) {
      signals.push({ rule: 'security-off', severity: 'medium', reason: `switches a kernel protection off (${param})`, param });
    } else if (!KNOWN.test(param) && !/^(init|rdinit)=/.test(param)) unusual.push(param);
  }
  return { signals, unusual };
}

/** `NAME=value` assignments of a sourced shell file (GRUB's defaults), values after quote removal, with their lines. */
export function grubAssignments(text: string): { name: string; value: string; line: number; text: string }[] {
  const out: { name: string; value: string; line: number; text: string }[] = [];
  for (const l of logicalLines(text)) {
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(l.text);
    if (!m) continue;
    const cmd = parseShell(l.text.replace(/^export\s+/, '')).pipelines[0]?.stages[0]?.[0];
    const a = cmd?.assigns.find((w) => w.value.startsWith(`${m[1]}=`));
    out.push({ name: m[1]!, value: a ? a.value.slice(m[1]!.length + 1) : '', line: l.line, text: l.text });
  }
  return out;
}

interface Hit {
  line?: number;
  text: string;
  signals: CommandSignal[];
}

async function pristineByUcf(ctx: DetectorContext, c: Collector, path: string, text: string): Promise<boolean> {
  const hf = await readBounded(ctx.target, c, UCF_HASHFILE, 1024 * 1024);
  if (!hf) return false;
  const md5 = createHash('md5').update(text).digest('hex');
  return hf.text.split('\n').some((l) => l.trim() === `${md5}  ${path}` || (l.startsWith(md5) && l.trim().endsWith(` ${path}`)));
}

/** /etc/default/grub and grub.d/*.cfg: sourced as shell by update-grub (root), and the kernel command line they set. */
async function judgeDefaults(ctx: DetectorContext, c: Collector, path: string, seen: Set<string>): Promise<void> {
  const file = await readBounded(ctx.target, c, path, 256 * 1024, { kind: 'GRUB defaults file', normal: NORMAL.config });
  if (!file) return;
  c.examined++;
  const hits: Hit[] = [];
  const unusual: string[] = [];
  const runs: string[] = [];
  const assigned = new Set(grubAssignments(file.text).map((a) => a.line));
  for (const a of grubAssignments(file.text)) {
    if (!/^GRUB_CMDLINE_(LINUX|LINUX_DEFAULT|LINUX_RECOVERY|XEN|XEN_DEFAULT)$/.test(a.name)) continue;
    const j = judgeKernelParams(a.value);
    unusual.push(...j.unusual);
    if (j.signals.length) hits.push({ line: a.line, text: a.text, signals: j.signals });
    runs.push(...j.signals.filter((s) => s.runs).map((s) => s.runs!));
  }
  for (const l of logicalLines(file.text)) {
    const sig = classifyShellLine(l.text);
    // update-grub sources this file: a line that is not an assignment is a command it runs as root
    if (!assigned.has(l.line) && !/^(if|then|else|elif|fi|export|unset|:)\b/.test(l.text)) sig.push({ rule: 'command', severity: 'medium', reason: 'runs a command whenever update-grub reads the file (kernel installs and upgrades, as root)' });
    if (sig.length) hits.push({ line: l.line, text: l.text, signals: sig });
  }
  if (hits.length === 0 && unusual.length === 0) return;
  const prov = await provenance(ctx, path, file.stat, file.text);
  const pristine = prov.pristine || (await pristineByUcf(ctx, c, path, file.text));
  let severity: Severity = hits.length ? 'info' : 'low';
  for (const h of hits) for (const s of h.signals) severity = maxSeverity(severity, s.severity);
  if (pristine && severityRank(severity) > severityRank('low')) severity = 'low';
  const top = hits.find((h) => h.signals.some((s) => s.severity === severity)) ?? hits[0];
  const sig = top?.signals.find((s) => s.severity === severity) ?? top?.signals[0];
  const reasons = [...new Set(hits.flatMap((h) => h.signals.map((s) => s.reason)))];
  if (unusual.length) reasons.push(`unusual kernel parameters: ${clip([...new Set(unusual)].join(' '), 200)}`);
  if (pristine) reasons.push('unchanged since the package installed it');
  c.add({
    rule: `grub.${sig?.rule ?? 'unusual-param'}`,
    key: instanceKey('grub', path, 'defaults'),
    contentHash: contentHash(file.text),
    severity,
    title: sig ? `Boot configuration: ${sig.reason}` : `Unusual kernel parameters in ${path}`,
    path,
    line: top?.line,
    user: 'root',
    evidence: clip(top?.text ?? unusual.join(' '), 400),
    attack: ATTACK,
    reason: reasons.concat(prov.notes.filter((n) => !/not shipped/.test(n)), ['update-grub writes it into grub.cfg: it applies from the next boot']).join('; '),
    remediation: sig ? `Preserve ${path} and /boot/grub/grub.cfg (ir collect), restore the line, run update-grub, and check what the parameter started.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { unusual: [...new Set(unusual)], rules: [...new Set(hits.flatMap((h) => h.signals.map((s) => s.rule)))], pristine },
  });
  for (const r of runs) await judgeExecTargets(ctx, c, r, { detector: 'grub', attack: ATTACK, from: `the kernel command line in ${path}, at every boot`, kind: 'boot-time program', unownedBase: 'high' }, seen);
}

/**
 * `linux … init=/x` lines of a generated grub.cfg (an attacker may edit it directly). /proc/cmdline is not
 * read: hypervisors (Firecracker, clouds) set their own init there, and what persists is the boot loader's files.
 */
async function judgeCmdlines(ctx: DetectorContext, c: Collector, path: string, lines: { line: number; text: string; cmdline: string }[], seen: Set<string>, mtime?: number): Promise<void> {
  for (const l of lines) {
    const j = judgeKernelParams(l.cmdline);
    const strong = j.signals.filter((s) => severityRank(s.severity) >= severityRank('medium'));
    if (strong.length === 0) continue;
    let severity: Severity = 'info';
    for (const s of strong) severity = maxSeverity(severity, s.severity);
    const top = strong.find((s) => s.severity === severity)!;
    c.add({
      rule: `grub.${top.rule}`,
      key: instanceKey('grub', path, top.param),
      contentHash: contentHash(l.text),
      severity,
      title: `Boot configuration: ${top.reason}`,
      path,
      line: l.line,
      user: 'root',
      evidence: clip(l.text, 400),
      attack: ATTACK,
      reason: [...new Set(strong.map((s) => s.reason)), 'a kernel entry of the boot loader has it'].join('; '),
      remediation: `Preserve ${path} (ir collect); fix /etc/default/grub and run update-grub, then check what the parameter started.`,
      mtime: mtime !== undefined ? isoFromEpochSeconds(mtime) : undefined,
      details: { rules: strong.map((s) => s.rule) },
    });
    for (const s of strong) if (s.runs) await judgeExecTargets(ctx, c, s.runs, { detector: 'grub', attack: ATTACK, from: `the kernel command line in ${path}`, kind: 'boot-time program', unownedBase: 'high' }, seen);
  }
}

export function grubLinuxLines(text: string): { line: number; text: string; cmdline: string }[] {
  const out: { line: number; text: string; cmdline: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(linux|linux16|linuxefi|kernel)\s+\S+\s+(.*)$/.exec(raw);
    if (m) out.push({ line: i + 1, text: raw.trim(), cmdline: m[2]! });
  });
  return out;
}

export const grub: Detector = {
  id: 'grub',
  title: 'GRUB and the kernel command line: init=, systemd.run=, debug shells, protections switched off, and the scripts update-grub runs',
  category: 'boot',
  attack: [ATTACK],
  locations: [DEFAULTS, `${DEFAULTS_D}/*.cfg`, `${SCRIPTS_D}/*`, ...GRUB_CFGS, UCF_HASHFILE, 'the file init= or systemd.run= runs'],
  async run(ctx) {
    const c = new Collector('grub', 'boot', ctx.target.name);
    const seen = new Set<string>();
    await judgeDefaults(ctx, c, DEFAULTS, seen);
    for (const e of await entriesOf(c, ctx, DEFAULTS_D)) if (isFileish(e) && e.name.endsWith('.cfg')) await judgeDefaults(ctx, c, e.path, seen);
    for (const path of GRUB_CFGS) {
      const file = await readBounded(ctx.target, c, path, 4 * 1024 * 1024, { kind: 'GRUB configuration', normal: 1024 * 1024 });
      if (!file) continue;
      c.examined++;
      await judgeCmdlines(ctx, c, path, grubLinuxLines(file.text), seen, file.stat.mtime);
    }
    for (const e of await entriesOf(c, ctx, SCRIPTS_D)) {
      if (!isFileish(e) || e.name === 'README' || e.name.startsWith('.')) continue;
      await judgeScriptFile(ctx, c, e.path, { detector: 'grub', attack: ATTACK, kind: 'grub.d script', unownedBase: 'medium', runs: 'update-grub runs it as root at every kernel install or upgrade' });
    }
    return c.result();
  },
};
