import { z } from 'zod';
import { severityRank } from '../core/finding.js';
import type { BreakIn, Facts, ReportFinding } from './model.js';

/**
 * The verdict: the answer a reader wants first, derived by the rules of docs/playbooks.md ("The
 * verdict") from the findings and the auth alerts, never written by hand. `rules` names the rules that
 * fired, so a reader (or a test) can see why.
 */
export const VERDICT_LEVELS = ['compromised', 'suspicious', 'incomplete', 'clean'] as const;
export const Verdict = z.object({
  level: z.enum(VERDICT_LEVELS),
  /** one or two sentences, starting with `Verdict:` */
  text: z.string(),
  rules: z.array(z.string()),
});
export type Verdict = z.infer<typeof Verdict>;

const WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const count = (n: number, one: string, many = `${one}s`): string => `${n < WORDS.length ? WORDS[n] : String(n)} ${n === 1 ? one : many}`;
const HOUR = 3_600_000;

const METHOD: Record<string, string> = { password: 'with a password', publickey: 'with a key', 'keyboard-interactive': 'with keyboard-interactive', 'keyboard-interactive/pam': 'with a password (PAM)', hostbased: 'host-based', gssapi: 'through GSSAPI' };

function loginClause(b: BreakIn): string {
  return `${b.user} logged in ${METHOD[b.method] ?? `by ${b.method}`} from ${b.ip} after ${count(b.failures, 'failure')}`;
}

function utcMinute(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

/** "three critical persistence items were added within the hour" and the like. */
function persistenceClause(crit: ReportFinding[], after: BreakIn | undefined): string {
  const what = count(crit.length, 'critical persistence item');
  const verb = crit.length === 1 ? 'was' : 'were';
  const times = crit.map((f) => Date.parse(f.time ?? '')).filter(Number.isFinite);
  if (!times.length || times.length < crit.length) return `${what} ${verb} found`;
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const login = after ? Date.parse(after.time) : NaN;
  if (Number.isFinite(login) && lo >= login && hi - login <= HOUR) return `${what} ${verb} added within the hour`;
  const day = new Date(lo).toISOString().slice(0, 10);
  if (hi - lo < 24 * HOUR && new Date(hi).toISOString().slice(0, 10) === day) return utcMinute(lo) === utcMinute(hi) ? `${what} ${verb} changed at ${utcMinute(lo)} UTC on ${day}` : `${what} ${verb} changed between ${utcMinute(lo)} and ${utcMinute(hi)} UTC on ${day}`;
  return `${what} ${verb} changed between ${new Date(lo).toISOString().slice(0, 10)} and ${new Date(hi).toISOString().slice(0, 10)}`;
}

const isAttackSource = (f: ReportFinding): boolean => f.source.startsWith('persistence-scan/') || f.source.startsWith('auth-review/');

/** What the rest of the findings amount to, for "(sweep: 2 hygiene failures)". */
function remainder(findings: ReportFinding[]): string {
  const by = (prefix: string, pred: (f: ReportFinding) => boolean = () => true): number => findings.filter((f) => f.source.startsWith(prefix) && pred(f)).length;
  const parts: string[] = [];
  const sweep = by('sweep/');
  if (sweep) parts.push(`sweep: ${count(sweep, 'hygiene failure')}`);
  const f2b = by('fail2ban/');
  if (f2b) parts.push(`fail2ban: ${count(f2b, 'configuration problem')}`);
  const persist = by('persistence-scan/');
  if (persist) parts.push(`persistence-scan: ${count(persist, 'item')} to review`);
  const auth = by('auth-review/');
  if (auth) parts.push(`auth-review: ${count(auth, 'alert')} without a login that followed failures`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function hostSentence(host: string | null, facts: Facts, findings: ReportFinding[], rules: Set<string>): { level: 'compromised' | 'suspicious' | 'clean'; text: string } {
  const breakIns = facts.breakIns.filter((b) => host === null || b.host === host);
  const crit = findings.filter((f) => f.source.startsWith('persistence-scan/') && f.severity === 'critical');
  const critAlerts = findings.filter((f) => f.source.startsWith('auth-review/') && f.severity === 'critical' && !breakIns.some((b) => b.host === f.host && f.ip === b.ip && f.user === b.user));
  if (breakIns.length || crit.length || critAlerts.length) {
    const parts: string[] = [];
    if (breakIns.length) {
      rules.add('login-after-failures');
      parts.push(loginClause(breakIns[0]!) + (breakIns.length > 1 ? ` (and ${count(breakIns.length - 1, 'more such login')})` : ''));
    }
    if (crit.length) {
      rules.add('critical-persistence');
      parts.push(persistenceClause(crit, breakIns[0]));
    }
    if (critAlerts.length) {
      rules.add('critical-auth-alert');
      parts.push(critAlerts.length === 1 ? critAlerts[0]!.title : `${count(critAlerts.length, 'critical auth alert')} (${critAlerts[0]!.title}…)`);
    }
    return { level: 'compromised', text: parts.join(', and ') };
  }
  const high = findings.filter((f) => isAttackSource(f) && severityRank(f.severity) >= severityRank('high'));
  if (high.length) {
    rules.add('high-finding');
    const shown = high.slice(0, 2).map((f) => f.title);
    return { level: 'suspicious', text: `${count(high.length, 'high finding')} ${high.length === 1 ? 'needs' : 'need'} checking first: ${shown.join('; ')}${high.length > 2 ? `; and ${count(high.length - 2, 'more')}` : ''}` };
  }
  return { level: 'clean', text: `no sign of compromise in what was checked${remainder(findings)}` };
}

/** Our own words start a sentence with a capital; a user or host name keeps its spelling. */
const cap = (s: string): string => (WORDS.includes(s.split(' ')[0]!) || /^(the|not) /.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : s);

/**
 * The rules, in order (docs/playbooks.md, "The verdict"):
 * 1. compromised: a login that followed a brute force from the same address, a critical persistence
 *    finding, or a critical auth alert;
 * 2. possible compromise (suspicious): a finding at high from persistence-scan or auth-review;
 * 3. no sign of compromise in what was checked, with what the hygiene checks found;
 * and a step that could not run, a host unreachable or refused: "incomplete" instead of 3, a second
 * sentence after 1 and 2. A fleet's verdict is its worst host's, naming the hosts.
 */
export function verdictOf(facts: Facts, hostCount: number): Verdict {
  const rules = new Set<string>();
  const hosts = [...new Set(facts.meta.hosts.map((h) => h.label))];
  const per = hosts.map((h) => ({ host: h, ...hostSentence(hostCount > 1 ? h : null, facts, facts.findings.filter((f) => f.host === h), rules) }));
  const problems = facts.problems;
  if (problems.length) rules.add('not-everything-ran');
  const notAll = problems.length ? ` Not everything ran: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}.` : '';
  for (const level of ['compromised', 'suspicious'] as const) {
    const hit = per.filter((p) => p.level === level);
    if (!hit.length) continue;
    const head = level === 'compromised' ? 'compromised' : 'possible compromise';
    if (hostCount <= 1) return { level, text: `Verdict: ${head}. ${cap(hit[0]!.text)}.${notAll}`, rules: [...rules] };
    const shown = hit.slice(0, 3).map((p) => `${p.host}: ${p.text}`);
    return { level, text: `Verdict: ${head} on ${hit.map((p) => p.host).join(', ')} (${hit.length} of ${hostCount} hosts). ${cap(shown.join('. '))}${hit.length > 3 ? `. And ${hit.length - 3} more hosts` : ''}.${notAll}`, rules: [...rules] };
  }
  rules.add('no-sign');
  const clean = hostCount <= 1 ? per[0]?.text ?? 'no sign of compromise in what was checked' : `no sign of compromise in what was checked on ${count(hostCount, 'host')}${remainder(facts.findings)}`;
  if (problems.length) return { level: 'incomplete', text: `Verdict: incomplete. ${cap(problems.slice(0, 3).join('; '))}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}; ${clean.replace('in what was checked', 'in what did run')}.`, rules: [...rules] };
  return { level: 'clean', text: `Verdict: ${clean}.`, rules: [...rules] };
}
