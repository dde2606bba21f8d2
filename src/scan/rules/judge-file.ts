import type { DirEntry, FileStat } from '../../host/target.js';
import { listOrEmpty } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import type { Collector, DetectorContext } from '../detector.js';
import { isPristineConffile, packageOwner } from '../facts-dpkg.js';
import { instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { NORMAL, readLines } from '../detectors/util.js';
import { looselyWritable, raise, recentlyChanged } from './location.js';
import { classifyShellLine, LogicalLines, type LineSignals } from './shell-script.js';

export interface ScriptSpec {
  detector: string;
  attack: string;
  /** what the file is, in the field's words: "boot script", "MOTD script" */
  kind: string;
  /** severity of a file that no package ships and that shows nothing else; package-owned clean files are not reported */
  unownedBase: Severity;
  /** who runs it and when, for the reason */
  runs: string;
  /** line filter: a detector may drop lines another detector owns (HISTFILE belongs to anti-forensics) */
  skipLine?: (text: string) => boolean;
  /** extra line judgements specific to the location (e.g. LD_PRELOAD) */
  extra?: (text: string) => LineSignals['signals'];
  /** report a file with no suspicious line that no package ships (default true); false for users' own dotfiles */
  reportClean?: boolean;
  /** a file whose mere presence is this severity (ssh rc files), whoever ships it, unless unchanged from its package */
  presentBase?: Severity;
}

/** Lists a directory for a detector: missing is empty, unreadable is an error (what is in it was not judged). */
export async function entriesOf(c: Collector, ctx: DetectorContext, dir: string): Promise<DirEntry[]> {
  try {
    return await listOrEmpty(ctx.target, dir);
  } catch (err) {
    c.error((err as Error).message, dir);
    return [];
  }
}

export function isFileish(e: DirEntry): boolean {
  return e.stat.type === 'file' || e.stat.type === 'symlink';
}

/** Ownership and change evidence for one file, as words for the reason and a severity adjustment (`md5` of its content when read). */
export async function provenance(ctx: DetectorContext, path: string, st: FileStat, md5?: string): Promise<{ owner: string | null | undefined; pristine: boolean; notes: string[] }> {
  const owner = await packageOwner(ctx.facts, path);
  const pristine = owner ? await isPristineConffile(ctx.facts, path, md5) : false;
  const notes: string[] = [];
  if (owner === null) notes.push('not shipped by any package');
  if (owner && !pristine) notes.push(`shipped by ${owner}`);
  if (pristine) notes.push(`unchanged conffile of ${owner}`);
  if (looselyWritable(st)) notes.push(`writable by group or others (mode ${st.mode.toString(8)})`);
  if (recentlyChanged(st)) notes.push('changed in the last 7 days');
  return { owner, pristine, notes };
}

/** Suspicious lines kept per file for the finding's details (the worst line and every rule are kept regardless). */
const KEPT_LINES = 200;

/**
 * One finding per script-like file (boot script, MOTD script, dispatcher hook, profile): lines that match
 * the command rules drive the severity; a package-owned file with no such line is not reported. The file
 * is streamed whole (padding cannot push a line out of sight) and judged line by line.
 */
export async function judgeScriptFile(ctx: DetectorContext, c: Collector, path: string, spec: ScriptSpec): Promise<void> {
  const lines: LineSignals[] = [];
  let best: Severity | undefined;
  let top: LineSignals | undefined;
  let count = 0;
  const rules = new Set<string>();
  const reasons = new Set<string>();
  const ll = new LogicalLines((l) => {
    if (spec.skipLine?.(l.text)) return;
    const signals = [...classifyShellLine(l.text), ...(spec.extra?.(l.text) ?? [])];
    if (signals.length === 0) return;
    const judged = { ...l, signals };
    count++;
    if (lines.length < KEPT_LINES) lines.push(judged);
    for (const s of signals) {
      rules.add(s.rule);
      reasons.add(s.reason);
      if (!best || severityRank(s.severity) > severityRank(best)) {
        best = s.severity;
        top = judged;
      }
    }
  });
  const file = await readLines(ctx.target, c, path, { kind: spec.kind, normal: NORMAL.script }, (raw, n) => ll.push(raw, n));
  if (!file) return;
  ll.end();
  c.examined++;
  const prov = await provenance(ctx, path, file.stat, file.md5);
  let severity: Severity;
  if (spec.presentBase && prov.pristine) return;
  if (count === 0 && spec.presentBase) {
    severity = spec.presentBase;
  } else if (count === 0) {
    if (prov.owner || spec.reportClean === false) return;
    severity = prov.owner === null ? spec.unownedBase : 'info';
    if (looselyWritable(file.stat)) severity = raise(severity, 2, 'high');
    if (recentlyChanged(file.stat)) severity = raise(severity, 1, 'low');
  } else {
    severity = best!;
    // a rule hit in a file exactly as its package shipped it is our rule's mistake, not an intrusion
    if (prov.pristine && severityRank(severity) > severityRank('low')) severity = 'low';
    if (prov.owner === null && severityRank(severity) >= severityRank('medium')) severity = raise(severity);
    if (looselyWritable(file.stat)) severity = raise(severity);
    if (spec.presentBase) severity = maxSeverity(severity, spec.presentBase);
  }
  const topSignal = top?.signals.find((s) => s.severity === best);
  c.add({
    rule: topSignal ? `${spec.detector}.${topSignal.rule}` : spec.presentBase ? `${spec.detector}.present` : prov.owner === null ? `${spec.detector}.unowned` : `${spec.detector}.file`,
    key: instanceKey(spec.detector, path, 'file'),
    contentHash: file.hash,
    severity,
    title: topSignal ? `Suspicious ${spec.kind}: ${topSignal.reason}` : spec.presentBase ? `${spec.kind[0]!.toUpperCase()}${spec.kind.slice(1)} present` : `${spec.kind[0]!.toUpperCase()}${spec.kind.slice(1)} not shipped by a package`,
    path,
    line: top?.line,
    user: 'root',
    evidence: clip(top?.text ?? path, 500),
    attack: spec.attack,
    reason: [...reasons].concat(prov.notes, [spec.runs]).join('; '),
    remediation: top ? `Preserve ${path} (ir collect), then remove the lines and look for what they fetched or started.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { owner: prov.owner, rules: [...rules], lines: lines.map((l) => ({ line: l.line, text: clip(l.text, 300), rules: l.signals.map((s) => s.rule) })), ...(count > lines.length ? { moreLines: count - lines.length } : {}) },
  });
}
