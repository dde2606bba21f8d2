import { createHash } from 'node:crypto';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import type { Collector, DetectorContext } from '../detector.js';
import { instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { NORMAL, readLines } from '../detectors/util.js';
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
  /** bytes above which such a file is padded (default NORMAL.config) */
  normal?: number;
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

/** A stateful extractor for formats whose entries span lines (an apt.conf block): fed line by line, flushed at the end. */
export interface LineExtractor {
  push(raw: string, line: number): ConfigCommand[];
  end?(): ConfigCommand[];
}

/** Commands kept per file for the finding's details (the worst command and the hash cover all of them). */
const KEPT = 200;

/**
 * One finding per file that holds commands: signals drive the severity, ownership raises or lowers it.
 * The file is streamed whole. `extract` is either a text function that works line by line (it is given
 * one line at a time, its line numbers mapped back) or `{ stateful }` for entries that span lines.
 */
export async function judgeConfigFile(ctx: DetectorContext, c: Collector, path: string, spec: ConfigSpec, extract: ((text: string) => ConfigCommand[]) | { stateful: () => LineExtractor }): Promise<void> {
  const kept: (ConfigCommand & { all: CommandSignal[] })[] = [];
  let count = 0;
  let severity: Severity = 'info';
  let top: (ConfigCommand & { all: CommandSignal[] }) | undefined;
  let firstFlagged: (ConfigCommand & { all: CommandSignal[] }) | undefined;
  let flaggedCount = 0;
  const reasons = new Set<string>();
  const sha = createHash('sha256');
  const take = (found: ConfigCommand[]) => {
    for (const x of found) {
      if (spec.harmless?.test(x.command.trim())) continue;
      const judged = { ...x, all: [...(x.command ? judgeCommand(x.command) : []), ...(x.signals ?? [])] };
      sha.update(count ? `\n${x.raw}` : x.raw);
      count++;
      if (kept.length < KEPT) kept.push(judged);
      if (judged.all.length === 0) continue;
      flaggedCount++;
      firstFlagged ??= judged;
      for (const sig of judged.all) {
        reasons.add(sig.reason);
        if (!top || severityRank(sig.severity) > severityRank(severity)) top = judged;
        severity = maxSeverity(severity, sig.severity);
      }
    }
  };
  const stateful = typeof extract === 'function' ? undefined : extract.stateful();
  const file = await readLines(ctx.target, c, path, { kind: spec.kind, normal: spec.normal ?? NORMAL.config }, (raw, n) =>
    take(stateful ? stateful.push(raw, n) : (extract as (text: string) => ConfigCommand[])(raw).map((x) => ({ ...x, line: n }))),
  );
  if (!file) return;
  if (stateful?.end) take(stateful.end());
  c.examined++;
  if (count === 0) return;
  const prov = await provenance(ctx, path, file.stat, file.md5);
  if (flaggedCount === 0) {
    if (prov.owner) return;
    severity = prov.owner === null ? spec.unownedBase : 'info';
  } else {
    if (prov.pristine && severityRank(severity) > severityRank('low')) severity = 'low';
    if (prov.owner === null && severityRank(severity) >= severityRank('medium')) severity = raise(severity);
  }
  const shown = top ?? firstFlagged ?? kept[0]!;
  const sig = flaggedCount ? (shown.all.find((s) => s.severity === severity) ?? shown.all[0]) : undefined;
  sha.update('\0');
  c.add({
    rule: `${spec.detector}.${sig?.rule ?? (prov.owner === null ? 'unowned' : 'command')}`,
    key: instanceKey(spec.detector, path, 'file'),
    contentHash: sha.digest('hex').slice(0, 16),
    severity,
    title: sig ? `Suspicious ${spec.kind}: ${sig.reason}` : `${spec.kind} not shipped by a package`,
    path,
    line: shown.line,
    user: 'root',
    evidence: clip(shown.raw, 400),
    attack: spec.attack,
    reason: [...reasons].concat(prov.notes, [spec.runs]).join('; '),
    remediation: sig ? `Preserve ${path} (ir collect), remove the entry, and look for what it fetched or started.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { owner: prov.owner, commands: kept.map((x) => ({ line: x.line, command: clip(x.command, 300), rules: x.all.map((s) => s.rule) })), ...(count > kept.length ? { moreCommands: count - kept.length } : {}) },
  });
}
