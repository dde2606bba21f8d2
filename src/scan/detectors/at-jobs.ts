import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector } from '../detector.js';
import { instanceKey, severityRank, type Severity } from '../../core/finding.js';
import type { CommandSignal } from '../rules/command-line.js';
import { raise } from '../rules/location.js';
import { entriesOf } from '../rules/judge-file.js';
import { LogicalLines, classifyShellLine, worst } from '../rules/shell-script.js';
import { NORMAL, readLines } from './util.js';

const SPOOLS = ['/var/spool/cron/atjobs', '/var/spool/at'];

const ENV_LINE = /^(umask|cd|export|[A-Za-z_]+=|\}|exit|echo 'Execution directory)/;
const HEREDOC = /^\$\{SHELL:-\/bin\/sh\} << '?(\w+)'?\s*$/;
/** Command lines kept per job (the worst one is kept regardless). */
const KEPT = 200;

type Judged = { line: number; text: string; signals: CommandSignal[] };

/**
 * The job itself, fed line by line: at(1) wraps it in a here-document after the saved environment
 * (`${SHELL:-/bin/sh} << 'marcinDELIMITER…'`); without one, every line but the environment is the job.
 */
export class AtJobReader {
  uid?: string;
  private delimiter?: string;
  private done = false;
  private readonly before: Judged[] = [];
  private readonly body: Judged[] = [];
  private worstBefore?: Judged;
  private worstBody?: Judged;
  private readonly pre = new LogicalLines((l) => {
    if (ENV_LINE.test(l.text)) return;
    this.worstBefore = this.take(this.before, l, this.worstBefore);
  });
  private readonly job = new LogicalLines((l) => {
    this.worstBody = this.take(this.body, l, this.worstBody);
  });

  push(raw: string, n: number): void {
    if (this.done) return;
    if (this.uid === undefined) this.uid = /# atrun uid=(\d+)/.exec(raw)?.[1];
    if (this.delimiter === undefined) {
      const m = HEREDOC.exec(raw);
      if (m) this.delimiter = m[1]!;
      else this.pre.push(raw, n);
      return;
    }
    if (raw === this.delimiter) {
      this.done = true;
      return;
    }
    this.job.push(raw, n);
  }

  /** The job's command lines (at most KEPT, the worst always among them). */
  end(): Judged[] {
    this.pre.end();
    this.job.end();
    const [lines, worst] = this.delimiter !== undefined ? [this.body, this.worstBody] : [this.before, this.worstBefore];
    return worst && !lines.includes(worst) ? [...lines, worst] : lines;
  }

  private take(list: Judged[], l: { line: number; text: string }, current: Judged | undefined): Judged | undefined {
    const j = { ...l, signals: classifyShellLine(l.text) };
    if (list.length < KEPT) list.push(j);
    return !current || severityRank(worstOf(j)) > severityRank(worstOf(current)) ? j : current;
  }
}

const worstOf = (j: Judged): Severity => worst([j], 'info');

/** The whole-text form of AtJobReader, without the signals. */
export function atJobCommands(text: string): { line: number; text: string }[] {
  const r = new AtJobReader();
  text.split('\n').forEach((raw, i) => r.push(raw, i + 1));
  return r.end().map(({ line, text }) => ({ line, text }));
}

export const atJobs: Detector = {
  id: 'at-jobs',
  title: 'Pending at(1) jobs',
  category: 'scheduled-task',
  attack: ['T1053.002'],
  locations: SPOOLS.map((d) => `${d}/*`),
  async run(ctx) {
    const c = new Collector('at-jobs', 'scheduled-task', ctx.target.name);
    for (const dir of SPOOLS) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (e.stat.type !== 'file' || e.name.startsWith('.') || e.name === 'spool') continue;
        const reader = new AtJobReader();
        const file = await readLines(ctx.target, c, e.path, { kind: 'at job', normal: NORMAL.script }, (raw, n) => reader.push(raw, n));
        if (!file) continue;
        c.examined++;
        const cmds = reader.end();
        const uid = reader.uid;
        const user = uid === undefined ? undefined : ((await ctx.facts.accounts()).find((a) => a.uid === Number(uid))?.name ?? `uid ${uid}`);
        // a pending at job is rare on a server: low by itself
        const severity = worst(cmds, 'low');
        const top = cmds.find((l) => l.signals.some((s) => s.severity === severity)) ?? cmds[0];
        c.add({
          rule: top?.signals[0] ? `at-jobs.${top.signals[0].rule}` : 'at-jobs.job',
          key: instanceKey('at-jobs', e.path, 'job'),
          contentHash: file.hash,
          severity: raise(severity, 0),
          title: top?.signals[0] ? `Suspicious at job: ${top.signals[0].reason}` : `Pending at job for ${user ?? '?'}`,
          path: e.path,
          line: top?.line,
          user,
          evidence: clip(top?.text ?? e.path, 300),
          attack: 'T1053.002',
          reason: [...new Set(cmds.flatMap((l) => l.signals.map((s) => s.reason)))].concat([`runs once as ${user ?? '?'} at ${isoFromEpochSeconds(e.stat.mtime)} or later`]).join('; '),
          remediation: `atrm the job (file name ${e.name}) after preserving it.`,
          mtime: isoFromEpochSeconds(e.stat.mtime),
          details: { commands: cmds.map((l) => clip(l.text, 300)) },
        });
      }
    }
    return c.result();
  },
};
