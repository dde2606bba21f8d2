import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readCaseMeta, type CaseMeta } from '../case/case.js';
import { JOURNAL, readJournal, type JournalEvent } from '../case/journal.js';
import { SEVERITIES, severityRank, type Severity } from '../core/finding.js';
import { shellLine } from '../core/shell.js';
import { focusWindow } from './focus.js';
import { forEachJsonLine } from './lines.js';
import { nextSteps } from './next.js';
import { verdictOf, Verdict } from './verdict.js';

/**
 * The case report: every line of report.md, report.html and the `--json` report is rendered from this
 * object. It holds raw values as the steps recorded them; escaping happens once, when it is rendered.
 */
export const ReportFinding = z.object({
  host: z.string(),
  severity: z.enum(SEVERITIES),
  /** `persistence-scan/cron.fetch-exec`: the step's command and the rule */
  source: z.string(),
  title: z.string(),
  evidence: z.string(),
  /** `path:line`, as shown */
  where: z.string().optional(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  detector: z.string().optional(),
  user: z.string().optional(),
  /** the source address of an auth alert */
  ip: z.string().optional(),
  /** the file's mtime (persistence) or the event's time (auth alerts) */
  time: z.string().optional(),
  remediation: z.string().optional(),
  /** against the accepted state or the playbook's last reported run on this host */
  drift: z.enum(['new', 'changed', 'unchanged']).optional(),
  /** where the finding was read inside a container (rendered when the scan gives it) */
  container: z.object({ name: z.string().optional(), id: z.string().optional(), image: z.string().optional(), project: z.string().optional(), service: z.string().optional() }).optional(),
});
export type ReportFinding = z.infer<typeof ReportFinding>;

export const TimelineEvent = z.object({
  time: z.string(),
  host: z.string(),
  kind: z.enum(['auth-failures', 'login', 'persistence', 'privilege', 'isolation', 'collection', 'ban', 'step']),
  text: z.string(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

/** One mark on a lane of the chart; `severity` colours persistence marks. */
export const Marker = z.object({ time: z.string(), host: z.string(), text: z.string(), severity: z.enum(SEVERITIES).optional() });
export type Marker = z.infer<typeof Marker>;

export const LANES = ['logins', 'persistence', 'privilege', 'actions'] as const;
export type Lane = (typeof LANES)[number];
export const LANE_TITLES: Record<Lane, string> = { logins: 'logins', persistence: 'persistence changes', privilege: 'sudo and account changes', actions: 'isolation and collection' };

export const Window = z.object({ from: z.string(), to: z.string() });
export const Focus = Window.extend({
  /** dated events left of and right of the window, marked at its edges */
  earlier: z.number().int(),
  later: z.number().int(),
});
export type Focus = z.infer<typeof Focus>;

export const NextStep = z.object({
  title: z.string(),
  why: z.string(),
  /** the finding that calls for it: `source: title (where)` */
  finding: z.string().optional(),
  /** shell-quoted command lines for this host (`--host` or `--root` as the case was run), nothing else */
  commands: z.array(z.string()),
});
export type NextStep = z.infer<typeof NextStep>;

export const CaseReport = z.object({
  caseId: z.string(),
  playbook: z.string(),
  version: z.number().int(),
  startedAt: z.string(),
  generatedAt: z.string(),
  verdict: Verdict,
  hosts: z.array(
    z.object({
      label: z.string(),
      status: z.string(),
      error: z.string().optional(),
      steps: z.array(z.object({ n: z.number(), name: z.string(), command: z.string(), status: z.string(), seconds: z.number().optional(), output: z.string().optional(), message: z.string().optional() })),
    }),
  ),
  timeline: z.array(TimelineEvent),
  chart: z.object({
    /** failed logins per source address (the top five, then "other addresses"): [bin start, count] */
    failures: z.array(z.object({ ip: z.string(), host: z.string(), points: z.array(z.tuple([z.string(), z.number()])) })),
    /** the width of one point of `failures`, ms: a minute from the auth timeline, an hour from the histogram */
    resolution: z.number(),
    lanes: z.object({ logins: z.array(Marker), persistence: z.array(Marker), privilege: z.array(Marker), actions: z.array(Marker) }),
    /** markers not kept per lane (a lane keeps MAX_MARKERS) */
    dropped: z.number().int(),
    span: Window.nullable(),
    focus: Focus.nullable(),
  }),
  findings: z.array(ReportFinding),
  actions: z.array(z.object({ time: z.string(), host: z.string(), text: z.string(), argv: z.array(z.string()).optional() })),
  evidence: z.array(z.object({ host: z.string(), path: z.string(), sha256: z.string().optional(), what: z.string(), verify: z.string() })),
  next: z.array(NextStep),
});
export type CaseReport = z.infer<typeof CaseReport>;

/** A login that followed failed attempts from the same address (auth-review's `afterBruteForce`). */
export interface BreakIn {
  host: string;
  user: string;
  ip: string;
  method: string;
  time: string;
  failures: number;
}

/** What the verdict and the next steps are derived from, per case. */
export interface Facts {
  meta: CaseMeta;
  caseDir: string;
  findings: ReportFinding[];
  breakIns: BreakIn[];
  /** logins from an address that failed before, without a brute force: maybe a user who mistyped */
  retried: { host: string; user: string; ip: string }[];
  /** per host: address → jails it is banned in (fail2ban now) */
  banned: Map<string, Map<string, Set<string>>>;
  /** per host: the fail2ban jails that exist */
  jails: Map<string, string[]>;
  isolated: { host: string; dir: string; project: string }[];
  evidence: CaseReport['evidence'];
  /** what could not run: `auth-review on web1: …` */
  problems: string[];
}

// The steps' JSON is read loosely: a command's output may be absent, from an older version, or an error.
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
const arr = (v: unknown): Loose[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const sev = (v: unknown): Severity => ((SEVERITIES as readonly string[]).includes(String(v)) ? (v as Severity) : 'info');
const isoOk = (s: string | undefined): s is string => s !== undefined && Number.isFinite(Date.parse(s));

interface HostOutputs {
  label: string;
  dir: string;
  byCommand: Map<string, { output: Loose; end: JournalEvent; start?: JournalEvent }>;
  events: JournalEvent[];
}

function readOutputs(caseDir: string, meta: CaseMeta, journal: JournalEvent[]): HostOutputs[] {
  return meta.hosts.map((h) => {
    const events = journal.filter((e) => e.host === h.label);
    const byCommand = new Map<string, { output: Loose; end: JournalEvent; start?: JournalEvent }>();
    for (const e of events) {
      if (e.event !== 'step-end' || !e.command || !e.outputs?.[0]) continue;
      try {
        const start = [...events].reverse().find((s) => s.event === 'step-start' && s.n === e.n && s.ts <= e.ts);
        byCommand.set(e.command, { output: obj(JSON.parse(readFileSync(join(caseDir, e.outputs[0]), 'utf8'))), end: e, ...(start ? { start } : {}) });
      } catch {
        // absent or not JSON: the report says what it has
      }
    }
    return { label: h.label, dir: join(caseDir, h.dir), byCommand, events };
  });
}

/** A lane keeps this many marks (grouped when drawn); the rest are counted. */
const MAX_MARKERS = 5000;
const TOP_ADDRESSES = 5;
const OTHERS = 'other addresses';
const minuteOf = (iso: string): string => `${iso.slice(0, 16)}:00.000Z`;

/**
 * Failed logins per minute for the top addresses, logins, sudo and account changes from the Timesketch
 * JSONL that auth-review wrote with --timeline. Counted as auth-review counts them: an `Invalid user`
 * line and the `Failed password for invalid user` line of the same connection are one attempt.
 */
function authTimeline(path: string, top: Set<string>, host: string, add: (lane: Lane, m: Marker) => void): Map<string, Map<string, number>> | null {
  const perIp = new Map<string, Map<string, number>>();
  const pendingInvalid = new Map<number, string>();
  const count = (ip: string, time: string): void => {
    const key = top.has(ip) ? ip : OTHERS;
    const m = perIp.get(key) ?? new Map<string, number>();
    m.set(minuteOf(time), (m.get(minuteOf(time)) ?? 0) + 1);
    perIp.set(key, m);
  };
  const found = forEachJsonLine(path, (v) => {
    const e = obj(v);
    const kind = str(e.kind) ?? '';
    const time = str(e.datetime);
    if (!isoOk(time)) return;
    const ip = str(e.source_ip);
    const pid = typeof e.pid === 'number' ? e.pid : undefined;
    if (kind === 'ssh.invalid-user' && ip) {
      if (pid !== undefined) {
        if (pendingInvalid.size > 10_000) pendingInvalid.clear();
        pendingInvalid.set(pid, ip);
      }
      count(ip, time);
    } else if (kind === 'ssh.failed' && ip) {
      if (e.invalid_user === true && pid !== undefined && pendingInvalid.get(pid) === ip) pendingInvalid.delete(pid);
      else count(ip, time);
    } else if (kind === 'ssh.accepted') add('logins', { time, host, text: `${str(e.username) ?? '?'} logged in from ${ip ?? '?'} (${str(e.method) ?? '?'})` });
    else if (kind === 'sudo.command') add('privilege', { time, host, text: `sudo: ${str(e.username) ?? '?'} ran ${str(e.command) ?? '?'} as ${str(e.target_user) ?? 'root'}` });
    else if (kind === 'sudo.failed') add('privilege', { time, host, text: `sudo refused for ${str(e.username) ?? '?'}` });
    else if (kind === 'su.session' || kind === 'su.failed') add('privilege', { time, host, text: `su${kind === 'su.failed' ? ' failed' : ''}: ${str(e.username) ?? '?'} to ${str(e.target_user) ?? '?'}` });
    else if (kind === 'account.change') add('privilege', { time, host, text: `${str(e.program) ?? 'account change'}: ${str(e.detail) ?? str(e.message) ?? ''}` });
  });
  return found ? perIp : null;
}

export interface BuildOptions {
  /** compare persistence findings with the host's previous reported run of the same playbook */
  compareWith?: (host: string) => Loose[] | null;
  now?: string;
}

export function buildCaseReport(caseDir: string, opts: BuildOptions = {}): CaseReport {
  const meta = readCaseMeta(caseDir);
  const journal = readJournal(join(caseDir, JOURNAL));
  const hosts = readOutputs(caseDir, meta, journal);
  const findings: ReportFinding[] = [];
  const timeline: TimelineEvent[] = [];
  const lanes: CaseReport['chart']['lanes'] = { logins: [], persistence: [], privilege: [], actions: [] };
  let dropped = 0;
  const mark = (lane: Lane, m: Marker): void => {
    if (lanes[lane].length < MAX_MARKERS) lanes[lane].push(m);
    else dropped++;
  };
  const failures: CaseReport['chart']['failures'] = [];
  let resolution = 60_000;
  const actions: CaseReport['actions'] = [];
  const ev: Facts = { meta, caseDir, findings, breakIns: [], retried: [], banned: new Map(), jails: new Map(), isolated: [], evidence: [], problems: [] };

  for (const h of hosts) {
    const banned = new Map<string, Set<string>>();
    ev.banned.set(h.label, banned);
    const ban = (ip: string | undefined, jail: string): void => {
      if (ip) banned.set(ip, (banned.get(ip) ?? new Set()).add(jail));
    };
    // the journal: what ran, when, and what could not
    for (const e of h.events) {
      if (e.event === 'step-end' && e.status !== 'skipped') actions.push({ time: e.ts, host: h.label, text: `${e.step} (${e.command}): ${e.status}${e.message ? ` — ${e.message}` : ''}`, ...(e.argv ? { argv: ['ir', ...e.argv] } : {}) });
      if (e.event === 'host-unreachable') actions.push({ time: e.ts, host: h.label, text: `host unreachable: ${e.message ?? ''}` });
    }
    const collect = h.byCommand.get('collect');
    if (collect && str(collect.output.path)) {
      const path = str(collect.output.path)!;
      ev.evidence.push({ host: h.label, path, ...(str(collect.output.sha256) ? { sha256: str(collect.output.sha256) } : {}), what: 'collect', verify: shellLine(['ir', 'evidence', 'verify', path]) });
      const time = str(collect.output.startedAt) ?? collect.start?.ts ?? collect.end.ts;
      mark('actions', { time, host: h.label, text: `evidence collected: ${path} (${num(collect.output.files)} files)` });
      timeline.push({ time, host: h.label, kind: 'collection', text: `evidence collected into ${path}` });
    }

    const scan = h.byCommand.get('persistence-scan')?.output;
    const prev = opts.compareWith?.(h.label);
    const prevHash = prev ? new Map(prev.map((f) => [str(f.key) ?? '', str(f.contentHash) ?? ''])) : null;
    for (const f of arr(scan?.findings)) {
      const s = sev(f.severity);
      const path = str(f.path);
      const line = typeof f.line === 'number' ? f.line : undefined;
      // the scan's own drift (against the accepted baseline the playbook gave it) wins over the last run's
      const drift = (str(f.drift) as ReportFinding['drift']) ?? (prevHash ? (!prevHash.has(str(f.key) ?? '') ? 'new' : prevHash.get(str(f.key) ?? '') === str(f.contentHash) ? 'unchanged' : 'changed') : undefined);
      const c = obj(f.container);
      const container = Object.fromEntries(['name', 'id', 'image', 'project', 'service'].filter((k) => str(c[k])).map((k) => [k, str(c[k])!]));
      if (s !== 'info') {
        findings.push({
          host: h.label,
          severity: s,
          source: `persistence-scan/${str(f.rule) ?? '?'}`,
          title: str(f.title) ?? '',
          evidence: str(f.evidence) ?? '',
          ...(path ? { where: `${path}${line ? `:${line}` : ''}`, path } : {}),
          ...(line ? { line } : {}),
          ...(str(f.detector) ? { detector: str(f.detector) } : {}),
          ...(str(f.user) ? { user: str(f.user) } : {}),
          ...(isoOk(str(f.mtime)) ? { time: str(f.mtime) } : {}),
          ...(str(f.remediation) ? { remediation: str(f.remediation) } : {}),
          ...(drift ? { drift } : {}),
          ...(Object.keys(container).length ? { container } : {}),
        });
      }
      const mtime = str(f.mtime);
      if (isoOk(mtime) && severityRank(s) >= severityRank('medium')) {
        mark('persistence', { time: mtime, host: h.label, text: `${s.toUpperCase()} ${path ?? ''}: ${str(f.title) ?? ''}`, severity: s });
        timeline.push({ time: mtime, host: h.label, kind: 'persistence', text: `${s.toUpperCase()} ${path ?? ''} changed: ${str(f.title) ?? ''}` });
      }
    }

    const auth = h.byCommand.get('auth-review')?.output;
    for (const a of arr(auth?.alerts)) {
      const d = obj(a.details);
      const time = str(d.time) ?? str(d.first);
      findings.push({ host: h.label, severity: sev(a.severity), source: `auth-review/${str(a.rule) ?? '?'}`, title: str(a.title) ?? '', evidence: str(a.evidence) ?? '', ...(str(a.user) ? { user: str(a.user) } : {}), ...(str(d.ip) ? { ip: str(d.ip) } : {}), ...(isoOk(time) ? { time } : {}), ...(str(a.remediation) ? { remediation: str(a.remediation) } : {}) });
    }
    const topIps = arr(auth?.topIps);
    for (const ip of topIps) {
      for (const j of Array.isArray(ip.bannedIn) ? ip.bannedIn : []) if (typeof j === 'string') ban(str(ip.ip), j);
      if (num(ip.failures) > 0 && isoOk(str(ip.firstSeen))) timeline.push({ time: str(ip.firstSeen)!, host: h.label, kind: 'auth-failures', text: `${num(ip.failures)} failed logins from ${str(ip.ip)} until ${str(ip.lastSeen)} (users: ${(Array.isArray(ip.users) ? ip.users : []).slice(0, 5).join(', ')})` });
    }
    for (const l of arr(auth?.logins)) {
      const user = str(l.user) ?? '?';
      const ip = str(l.ip) ?? '?';
      if (isoOk(str(l.first))) timeline.push({ time: str(l.first)!, host: h.label, kind: 'login', text: `${user} logged in from ${ip} by ${str(l.method)} (${num(l.count)}×, last ${str(l.last)})${l.afterBruteForce ? ' — after a brute force from that address' : ''}` });
      if (l.afterBruteForce === true) ev.breakIns.push({ host: h.label, user, ip, method: str(l.method) ?? '?', time: str(l.first) ?? '', failures: num(l.failuresFromIp) });
      else if (num(l.failuresFromIp) > 0) ev.retried.push({ host: h.label, user, ip });
    }
    for (const s of arr(auth?.sudo)) if (isoOk(str(s.first))) timeline.push({ time: str(s.first)!, host: h.label, kind: 'privilege', text: `sudo by ${str(s.user)}: ${arr(s.commands).map((c) => str(c.command)).slice(0, 3).join('; ')} (${num(s.count)}×)` });
    for (const c of arr(auth?.accountChanges)) if (isoOk(str(c.time))) timeline.push({ time: str(c.time)!, host: h.label, kind: 'privilege', text: `${str(c.program)}: ${str(c.detail)}` });

    const top = new Set(topIps.filter((ip) => num(ip.failures) > 0).slice(0, TOP_ADDRESSES).map((ip) => str(ip.ip) ?? ''));
    const perIp = authTimeline(join(h.dir, 'auth-timeline.jsonl'), top, h.label, mark);
    if (perIp) {
      const order = [...top, OTHERS];
      for (const ip of order) {
        const m = perIp.get(ip);
        if (m) failures.push({ ip, host: h.label, points: [...m].sort((a, b) => a[0].localeCompare(b[0])) });
      }
    } else {
      // no timeline file: the hourly histogram, and the logins' first and last times
      const buckets = arr(obj(auth?.histogram).buckets).filter((b) => isoOk(str(b.start)) && num(b.failures) > 0);
      if (buckets.length) {
        resolution = 3_600_000;
        failures.push({ ip: 'all addresses', host: h.label, points: buckets.map((b) => [str(b.start)!, num(b.failures)] as [string, number]) });
      }
      for (const l of arr(auth?.logins)) if (isoOk(str(l.first))) mark('logins', { time: str(l.first)!, host: h.label, text: `${str(l.user)} logged in from ${str(l.ip)} (${str(l.method)})` });
      for (const c of arr(auth?.accountChanges)) if (isoOk(str(c.time))) mark('privilege', { time: str(c.time)!, host: h.label, text: `${str(c.program)}: ${str(c.detail)}` });
    }
    // a login after a brute force is the mark a reader looks for: say so on it
    for (const m of lanes.logins) {
      const b = ev.breakIns.find((x) => x.host === m.host && m.text.startsWith(`${x.user} logged in from ${x.ip} `));
      if (b && !m.text.includes('after')) m.text += ` after ${b.failures} failures from that address`;
    }

    const f2b = h.byCommand.get('fail2ban')?.output;
    for (const c of arr(f2b?.checks)) if (c.ok === false) findings.push({ host: h.label, severity: sev(c.severity), source: `fail2ban/${str(c.id) ?? '?'}`, title: str(c.message) ?? '', evidence: str(c.message) ?? '' });
    ev.jails.set(h.label, arr(f2b?.jails).map((j) => str(j.name) ?? '').filter(Boolean));
    for (const j of arr(f2b?.jails)) for (const b of arr(j.banned)) ban(str(b.ip), str(j.name) ?? 'sshd');
    for (const r of arr(obj(f2b?.history).recent)) {
      if (str(r.action) !== 'Ban' || !isoOk(str(r.time))) continue;
      const text = `fail2ban ${str(r.jail)} banned ${str(r.ip)}`;
      timeline.push({ time: str(r.time)!, host: h.label, kind: 'ban', text });
      mark('actions', { time: str(r.time)!, host: h.label, text });
    }

    const sweep = h.byCommand.get('sweep')?.output;
    for (const r of arr(sweep?.results)) {
      if (str(r.status) !== 'fail') continue;
      findings.push({ host: h.label, severity: sev(r.severity), source: `sweep/${str(r.id) ?? '?'}`, title: str(r.title) ?? '', evidence: `expected ${str(r.expected)}, found ${str(r.actual)} (${str(r.evidence)})`, ...(str(r.path) ? { where: str(r.path), path: str(r.path) } : {}), ...(str(r.remediation) ? { remediation: str(r.remediation) } : {}), ...(str(r.drift) ? { drift: str(r.drift) as ReportFinding['drift'] } : {}) });
    }

    const iso = h.byCommand.get('isolate');
    if (iso) {
      const acts = arr(iso.output.actions);
      const first = acts.find((a) => a.ok !== false);
      const project = str(obj(iso.output.project).name) ?? str(iso.output.project) ?? '?';
      const time = str(first?.startedAt) ?? iso.end.ts;
      const text = `project ${project} isolated (${str(iso.output.mode) ?? '?'}): ${acts.map((a) => `${str(a.kind)} ${str(a.subject)}`).join(', ') || 'no action'}`;
      const snap = obj(iso.output.snapshot);
      if (str(snap.path)) ev.evidence.push({ host: h.label, path: str(snap.path)!, ...(str(snap.sha256) ? { sha256: str(snap.sha256) } : {}), what: `isolate snapshot of ${project}`, verify: shellLine(['ir', 'evidence', 'verify', str(snap.path)!]) });
      if (!iso.output.dryRun && acts.length) {
        mark('actions', { time, host: h.label, text });
        timeline.push({ time, host: h.label, kind: 'isolation', text });
        for (const a of acts) actions.push({ time: str(a.startedAt) ?? time, host: h.label, text: `isolate: ${str(a.kind)} ${str(a.subject)} ${a.ok === false ? 'FAILED' : 'ok'}`, ...(Array.isArray(a.argv) ? { argv: a.argv as string[] } : {}) });
        ev.isolated.push({ host: h.label, dir: str(iso.output.case) ?? h.dir, project });
      }
    }
  }

  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.host.localeCompare(b.host) || a.source.localeCompare(b.source));
  timeline.sort((a, b) => a.time.localeCompare(b.time));
  actions.sort((a, b) => a.time.localeCompare(b.time));
  for (const l of Object.values(lanes)) l.sort((a, b) => a.time.localeCompare(b.time));
  const hostRows = meta.hosts.map((h) => {
    const ends = journal.filter((e) => e.host === h.label && e.event === 'step-end');
    const last = new Map<number, JournalEvent>();
    for (const e of ends) if (e.n !== undefined) last.set(e.n, e);
    const unreachable = journal.find((e) => e.host === h.label && e.event === 'host-unreachable');
    const hostEnd = [...journal].reverse().find((e) => e.host === h.label && e.event === 'host-end');
    const status = unreachable ? 'unreachable' : (hostEnd?.status ?? 'unfinished');
    const error = unreachable?.message ?? (status === 'error' ? hostEnd?.message : undefined);
    const steps = [...last.values()].sort((a, b) => a.n! - b.n!).map((e) => ({ n: e.n!, name: e.step ?? '', command: e.command ?? '', status: e.status ?? '', ...(e.seconds !== undefined ? { seconds: e.seconds } : {}), ...(e.outputs?.[0] ? { output: e.outputs[0] } : {}), ...(e.message ? { message: e.message } : {}) }));
    if (status === 'unreachable') ev.problems.push(`${h.label} was unreachable (${error ?? 'no reason recorded'})`);
    else if (status === 'unfinished') ev.problems.push(`the run on ${h.label} did not finish`);
    else if (error) ev.problems.push(`${h.label} was refused: ${error}`);
    for (const s of steps) if (s.status === 'error') ev.problems.push(`${s.command} could not run on ${h.label}${s.message ? ` (${s.message})` : ''}`);
    return { label: h.label, status, ...(error ? { error } : {}), steps };
  });
  const caseReport = journal.find((e) => e.event === 'step-end' && e.host === undefined && e.command === 'report' && e.status === 'error');
  if (caseReport) ev.problems.push(`the report step failed before (${caseReport.message ?? ''})`);

  const failurePoints = failures.flatMap((s) => s.points.map(([t, n]) => ({ t: Date.parse(t), w: n, kind: 'failure' as const })));
  const dated = [
    ...failurePoints,
    ...lanes.logins.map((m) => ({ t: Date.parse(m.time), w: m.text.includes(' after ') ? 20 : 1, kind: 'login' as const })),
    ...lanes.persistence.map((m) => ({ t: Date.parse(m.time), w: m.severity === 'critical' ? 20 : m.severity === 'high' ? 10 : 3, kind: 'persistence' as const })),
    ...lanes.privilege.map((m) => ({ t: Date.parse(m.time), w: 5, kind: 'privilege' as const })),
    ...findings.filter((f) => f.time && f.source.startsWith('auth-review/')).map((f) => ({ t: Date.parse(f.time!), w: severityRank(f.severity) >= severityRank('high') ? 10 : 1, kind: 'alert' as const })),
  ].filter((e) => Number.isFinite(e.t));
  const all = [...dated.map((e) => e.t), ...lanes.actions.map((m) => Date.parse(m.time)).filter(Number.isFinite)];
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of all) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const span = all.length ? { from: new Date(lo).toISOString(), to: new Date(hi + (failurePoints.length ? resolution : 0)).toISOString() } : null;
  const focus = focusWindow(dated, all);

  const verdict = verdictOf(ev, hostRows.length);
  const next = nextSteps(ev);
  return {
    caseId: meta.id,
    playbook: meta.playbook,
    version: meta.version,
    startedAt: meta.startedAt,
    generatedAt: opts.now ?? new Date().toISOString(),
    verdict,
    hosts: hostRows,
    timeline,
    chart: { failures, resolution, lanes, dropped, span, focus },
    findings,
    actions,
    evidence: ev.evidence,
    next,
  };
}
