import type { Policy } from '../../core/policy.js';
import { broken, na, verdict, type Outcome, type SweepCheck } from '../check.js';
import type { SweepContext } from '../context.js';
import { SSHD_READS, sshdCommands, sshdViews } from '../facts/sshd.js';

const SOURCE = 'Hardening guide §1 SSH Hardening, verification 1; Setup guide checklist "SSH access secured"';

/**
 * One sshd keyword judged in every context sshd may apply (global and each Match block, evaluated by
 * `sshd -T -C` live): a Match block that turns password login back on for some addresses fails the check.
 */
export function sshSettingCheck(def: {
  id: string;
  keyword: string;
  title: string;
  expected: (p: Policy) => string;
  ok: (value: string, p: Policy) => boolean;
  remediation: string;
  severity: SweepCheck['severity'];
  lynis?: string;
}): SweepCheck {
  return {
    id: def.id,
    title: def.title,
    area: 'ssh',
    severity: def.severity,
    expected: def.expected,
    remediation: def.remediation,
    source: SOURCE,
    lynis: def.lynis ?? 'SSH-7408',
    reads: SSHD_READS,
    commands: sshdCommands,
    async run(ctx: SweepContext): Promise<Outcome[]> {
      const out: Outcome[] = [];
      for (const v of await sshdViews(ctx)) {
        if (v.absent) {
          out.push(na(`no sshd configuration at ${v.file}`, v.file, { subject: v.file }));
          continue;
        }
        if (v.problem) {
          out.push(broken(v.problem.message, v.problem.path, { subject: v.file, path: v.problem.path, line: v.problem.line }));
          continue;
        }
        const bad = v.contexts.filter((c) => !def.ok(c.settings.get(def.keyword)!, ctx.policy));
        const shown = (bad.length ? bad : v.contexts.slice(0, 1)).map((c) => `${def.keyword} ${c.settings.get(def.keyword)}${c.label === 'global' ? '' : ` (${c.label})`}`);
        out.push(verdict(bad.length === 0, shown.join('; '), (bad[0] ?? v.contexts[0]!).evidence, { subject: v.file, path: v.file }));
      }
      return out;
    },
  };
}
