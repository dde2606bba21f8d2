import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf, isFileish, provenance } from '../rules/judge-file.js';
import { walk } from '../walk.js';
import { MAX_TEXT, NORMAL, readBounded } from './util.js';

const RULE_DIRS = ['/etc/polkit-1/rules.d', '/usr/share/polkit-1/rules.d', '/usr/local/share/polkit-1/rules.d'];
const PKLA_DIRS = ['/etc/polkit-1/localauthority', '/var/lib/polkit-1/localauthority'];

/** A JavaScript rule that answers YES without looking at the action or the subject grants everything to everyone. */
export function judgeRules(text: string): { severity: Severity; why: string } | null {
  if (!/polkit\.Result\.YES/.test(text)) return null;
  const conditional = /\bif\s*\(|subject\.(user|isInGroup|local|active)|action\.id|\?/.test(text);
  return conditional ? { severity: 'info', why: 'grants some actions without a password' } : { severity: 'high', why: 'answers YES to every action for every user' };
}

/** .pkla (polkit < 0.106): Identity=unix-user:* with Result*=yes for Action=* is the same grant. */
export function judgePkla(text: string): { severity: Severity; why: string } | null {
  if (!/^\s*Result(Any|Inactive|Active)\s*=\s*yes/im.test(text)) return null;
  const anyone = /^\s*Identity\s*=.*unix-(user|group):\*/im.test(text);
  const everything = /^\s*Action\s*=\s*\*\s*$/im.test(text);
  if (anyone && everything) return { severity: 'high', why: 'every user may do every action without a password' };
  if (anyone || everything) return { severity: 'medium', why: anyone ? 'every user may do these actions without a password' : 'this identity may do every action without a password' };
  return { severity: 'info', why: 'grants some actions without a password' };
}

async function judge(ctx: DetectorContext, c: Collector, path: string, fn: (t: string) => { severity: Severity; why: string } | null): Promise<void> {
  const file = await readBounded(ctx.target, c, path, MAX_TEXT, { kind: 'polkit rule', normal: NORMAL.config });
  if (!file) return;
  c.examined++;
  const v = fn(file.text);
  if (!v) return;
  const prov = await provenance(ctx, path, file.stat, file.md5);
  if (prov.owner && v.severity === 'info') return;
  const severity: Severity = v.severity === 'info' && prov.owner === null ? 'low' : v.severity;
  c.add({
    rule: severity === 'high' ? 'polkit.grant-all' : 'polkit.grant',
    key: instanceKey('polkit', path, 'file'),
    contentHash: file.hash,
    severity,
    title: `polkit rule ${v.why}`,
    path,
    evidence: clip(file.text.slice(0, 400), 400),
    attack: 'T1548',
    reason: [v.why, ...prov.notes].join('; '),
    remediation: `Preserve and remove ${path}; polkit reloads rules on change.`,
    mtime: isoFromEpochSeconds(file.stat.mtime),
  });
}

export const polkit: Detector = {
  id: 'polkit',
  title: 'polkit rules and local authority files that grant actions without authentication',
  category: 'privilege',
  attack: ['T1548'],
  locations: [...RULE_DIRS.map((d) => `${d}/*.rules`), ...PKLA_DIRS.map((d) => `${d}/**/*.pkla`)],
  async run(ctx) {
    const c = new Collector('polkit', 'privilege', ctx.target.name);
    for (const d of RULE_DIRS) for (const e of await entriesOf(c, ctx, d)) if (isFileish(e) && e.name.endsWith('.rules')) await judge(ctx, c, e.path, judgeRules);
    const pkla: string[] = [];
    await walk(ctx.target, PKLA_DIRS, (e) => void (e.name.endsWith('.pkla') && e.stat.type === 'file' && pkla.push(e.path)), (dir, err) => c.error(err.message, dir), { maxDepth: 4 });
    for (const p of pkla.sort()) await judge(ctx, c, p, judgePkla);
    return c.result();
  },
};
