import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import type { Collector, DetectorContext } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { readBounded } from '../detectors/util.js';
import { classifyCommand, type CommandSignal } from './command-line.js';
import { provenance } from './judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir, programOf, raise } from './location.js';

/** A command found inside a configuration file (udev RUN+=, Exec= of a .desktop, an apt hook, a modprobe install line). */
export interface ConfigCommand {
  line: number;
  raw: string;
  command: string;
  /** extra signals the caller knows about (e.g. a rootkit module name) */
  signals?: CommandSignal[];
}

export interface ConfigSpec {
  detector: string;
  attack: string;
  kind: string;
  runs: string;
  /** severity of a command in a file no package ships, with no other evidence */
  unownedBase: Severity;
  /** commands considered harmless whatever the file (`/bin/true` in modprobe install lines) */
  harmless?: RegExp;
}

export function judgeCommand(cmd: string): CommandSignal[] {
  const out = classifyCommand(cmd);
  const prog = programOf(cmd);
  if (prog && !out.some((s) => s.rule === 'writable-dir' || s.rule === 'hidden-path')) {
    if (inWorldWritableDir(prog)) out.push({ rule: 'writable-dir', severity: 'high', reason: 'runs a program from a world-writable directory' });
    else if (hiddenComponent(prog)) out.push({ rule: 'hidden-path', severity: 'high', reason: 'runs a program from a hidden directory' });
    else if (inHomeDir(prog)) out.push({ rule: 'home-path', severity: 'medium', reason: 'runs a program from a home directory' });
  }
  return out;
}

/** One finding per file that holds commands: signals drive the severity, ownership raises or lowers it. */
export async function judgeConfigFile(ctx: DetectorContext, c: Collector, path: string, spec: ConfigSpec, extract: (text: string) => ConfigCommand[]): Promise<void> {
  const file = await readBounded(ctx.target, c, path, 512 * 1024);
  if (!file) return;
  c.examined++;
  const cmds = extract(file.text)
    .filter((x) => !spec.harmless?.test(x.command.trim()))
    .map((x) => ({ ...x, all: [...judgeCommand(x.command), ...(x.signals ?? [])] }));
  if (cmds.length === 0) return;
  const prov = await provenance(ctx, path, file.stat, file.text);
  let severity: Severity = 'info';
  for (const x of cmds) for (const s of x.all) severity = maxSeverity(severity, s.severity);
  const flagged = cmds.filter((x) => x.all.length > 0);
  if (flagged.length === 0) {
    if (prov.owner) return;
    severity = prov.owner === null ? spec.unownedBase : 'info';
  } else {
    if (prov.pristine && severityRank(severity) > severityRank('low')) severity = 'low';
    if (prov.owner === null && severityRank(severity) >= severityRank('medium')) severity = raise(severity);
  }
  const top = flagged.find((x) => x.all.some((s) => s.severity === severity)) ?? flagged[0] ?? cmds[0]!;
  const sig = top.all.find((s) => s.severity === severity) ?? top.all[0];
  c.add({
    rule: `${spec.detector}.${sig?.rule ?? (prov.owner === null ? 'unowned' : 'command')}`,
    key: instanceKey(spec.detector, path, 'file'),
    contentHash: contentHash(cmds.map((x) => x.raw).join('\n')),
    severity,
    title: sig ? `Suspicious ${spec.kind}: ${sig.reason}` : `${spec.kind} not shipped by a package`,
    path,
    line: top.line,
    user: 'root',
    evidence: clip(top.raw, 400),
    attack: spec.attack,
    reason: [...new Set(flagged.flatMap((x) => x.all.map((s) => s.reason)))].concat(prov.notes, [spec.runs]).join('; '),
    remediation: sig ? `Preserve ${path} (ir collect), remove the entry, and look for what it fetched or started.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { owner: prov.owner, commands: cmds.map((x) => ({ line: x.line, command: clip(x.command, 300), rules: x.all.map((s) => s.rule) })) },
  });
}
