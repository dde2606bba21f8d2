import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey } from '../../core/finding.js';
import { raise } from '../rules/location.js';
import { entriesOf } from '../rules/judge-file.js';
import { logicalLines, classifyShellLine, worst } from '../rules/shell-script.js';
import { readBounded } from './util.js';

const SPOOLS = ['/var/spool/cron/atjobs', '/var/spool/at'];

/** The job itself: at(1) wraps it in a here-document after the saved environment (`${SHELL:-/bin/sh} << 'marcinDELIMITER…'`). */
export function atJobCommands(text: string): { line: number; text: string }[] {
  const m = /^\$\{SHELL:-\/bin\/sh\} << '?(\w+)'?\s*$/m.exec(text);
  if (!m) return logicalLines(text).filter((l) => !/^(umask|cd|export|[A-Za-z_]+=|\}|exit|echo 'Execution directory)/.test(l.text));
  const start = text.slice(0, m.index).split('\n').length;
  const body = text.slice(m.index + m[0].length + 1);
  const end = body.indexOf(`\n${m[1]}`);
  return logicalLines(end >= 0 ? body.slice(0, end) : body).map((l) => ({ line: l.line + start, text: l.text }));
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
        const file = await readBounded(ctx.target, c, e.path, 256 * 1024);
        if (!file) continue;
        c.examined++;
        const cmds = atJobCommands(file.text).map((l) => ({ ...l, signals: classifyShellLine(l.text) }));
        const uid = /# atrun uid=(\d+)/.exec(file.text)?.[1];
        const user = uid === undefined ? undefined : ((await ctx.facts.accounts()).find((a) => a.uid === Number(uid))?.name ?? `uid ${uid}`);
        // a pending at job is rare on a server: low by itself
        const severity = worst(cmds, 'low');
        const top = cmds.find((l) => l.signals.some((s) => s.severity === severity)) ?? cmds[0];
        c.add({
          rule: top?.signals[0] ? `at-jobs.${top.signals[0].rule}` : 'at-jobs.job',
          key: instanceKey('at-jobs', e.path, 'job'),
          contentHash: contentHash(cmds.map((l) => l.text).join('\n')),
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
