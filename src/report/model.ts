import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readCaseMeta, type CaseMeta } from '../case/case.js';
import { JOURNAL, readJournal, type JournalEvent } from '../case/journal.js';
import { SEVERITIES, severityRank, type Severity } from '../core/finding.js';

/** The case report: every line of report.md and report.html is rendered from this object. */
export const ReportFinding = z.object({
  host: z.string(),
  severity: z.enum(SEVERITIES),
  source: z.string(),
  title: z.string(),
  evidence: z.string(),
  where: z.string().optional(),
  time: z.string().optional(),
  remediation: z.string().optional(),
  /** against the playbook's last run on this host */
  drift: z.enum(['new', 'changed', 'unchanged']).optional(),
});
export type ReportFinding = z.infer<typeof ReportFinding>;

export const TimelineEvent = z.object({
  time: z.string(),
  host: z.string(),
  kind: z.enum(['auth-failures', 'login', 'persistence', 'isolation', 'ban', 'step']),
  text: z.string(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const CaseReport = z.object({
  caseId: z.string(),
  playbook: z.string(),
  version: z.number().int(),
  startedAt: z.string(),
  generatedAt: z.string(),
  hosts: z.array(z.object({ label: z.string(), status: z.string(), steps: z.array(z.object({ n: z.number(), name: z.string(), command: z.string(), status: z.string(), seconds: z.number().optional(), output: z.string().optional(), message: z.string().optional() })) })),
  timeline: z.array(TimelineEvent),
  chart: z.object({
    /** failures per hour for the top source addresses: [hour start, count] */
    failures: z.array(z.object({ ip: z.string(), host: z.string(), points: z.array(z.tuple([z.string(), z.number()])) })),
    logins: z.array(z.object({ time: z.string(), host: z.string(), text: z.string() })),
    persistence: z.array(z.object({ time: z.string(), host: z.string(), text: z.string(), severity: z.enum(SEVERITIES) })),
    isolation: z.array(z.object({ time: z.string(), host: z.string(), text: z.string() })),
  }),
  findings: z.array(ReportFinding),
  actions: z.array(z.object({ time: z.string(), host: z.string(), text: z.string(), argv: z.array(z.string()).optional() })),
  evidence: z.array(z.object({ host: z.string(), path: z.string(), sha256: z.string().optional() })),
  next: z.array(z.object({ title: z.string(), why: z.string(), commands: z.array(z.string()) })),
});
export type CaseReport = z.infer<typeof CaseReport>;

// The steps' JSON is read loosely: a command's output may be absent, from an older version, or an error.
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
const arr = (v: unknown): Loose[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const sev = (v: unknown): Severity => ((SEVERITIES as readonly string[]).includes(String(v)) ? (v as Severity) : 'info');

interface HostOutputs {
  label: string;
  dir: string;
  byCommand: Map<string, { output: Loose; end: JournalEvent }>;
  events: JournalEvent[];
}

function readOutputs(caseDir: string, meta: CaseMeta, journal: JournalEvent[]): HostOutputs[] {
  return meta.hosts.map((h) => {
    const events = journal.filter((e) => e.host === h.label);
    const byCommand = new Map<string, { output: Loose; end: JournalEvent }>();
    for (const e of events) {
      if (e.event !== 'step-end' || !e.command || !e.outputs?.[0]) continue;
      try {
        byCommand.set(e.command, { output: obj(JSON.parse(readFileSync(join(caseDir, e.outputs[0]), 'utf8'))), end: e });
      } catch {
        // absent or not JSON: the report says what it has
      }
    }
    return { label: h.label, dir: join(caseDir, h.dir), byCommand, events };
  });
}

const FAILURE_KINDS = new Set(['ssh.failed', 'ssh.invalid-user', 'ssh.max-attempts']);
const hourOf = (iso: string): string => `${iso.slice(0, 13)}:00:00.000Z`;

/** Failures per hour and logins from the Timesketch JSONL that auth-review wrote with --timeline, when there. */
function authTimeline(path: string): { perIp: Map<string, Map<string, number>>; logins: { time: string; text: string }[] } | null {
  if (!existsSync(path)) return null;
  const perIp = new Map<string, Map<string, number>>();
  const logins: { time: string; text: string }[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let e: Loose;
    try {
      e = obj(JSON.parse(line));
    } catch {
      continue;
    }
    const kind = str(e.kind) ?? '';
    const time = str(e.datetime);
    if (!time) continue;
    if (FAILURE_KINDS.has(kind) && str(e.source_ip)) {
      const m = perIp.get(str(e.source_ip)!) ?? new Map<string, number>();
      m.set(hourOf(time), (m.get(hourOf(time)) ?? 0) + 1);
      perIp.set(str(e.source_ip)!, m);
    } else if (kind === 'ssh.accepted') logins.push({ time, text: `${str(e.username) ?? '?'} from ${str(e.source_ip) ?? '?'} (${str(e.method) ?? '?'})` });
  }
  return { perIp, logins };
}

export interface BuildOptions {
  /** compare persistence findings with the host's previous run of the same playbook */
  compareWith?: (host: string) => Loose[] | null;
  now?: string;
}

export function buildCaseReport(caseDir: string, opts: BuildOptions = {}): CaseReport {
  const meta = readCaseMeta(caseDir);
  const journal = readJournal(join(caseDir, JOURNAL));
  const hosts = readOutputs(caseDir, meta, journal);
  const findings: ReportFinding[] = [];
  const timeline: TimelineEvent[] = [];
  const chart: CaseReport['chart'] = { failures: [], logins: [], persistence: [], isolation: [] };
  const actions: CaseReport['actions'] = [];
  const evidence: CaseReport['evidence'] = [];
  const next: CaseReport['next'] = [];
  const banned = new Map<string, Set<string>>();
  const legitimate: { host: string; ip: string; user: string }[] = [];
  let rotate = false;
  const isolatedCases: { host: string; spec?: string; dir: string }[] = [];

  for (const h of hosts) {
    // the journal: what ran, when
    for (const e of h.events) {
      if (e.event === 'step-end' && e.status !== 'skipped') actions.push({ time: e.ts, host: h.label, text: `${e.step} (${e.command}): ${e.status}${e.message ? ` — ${e.message}` : ''}`, ...(e.argv ? { argv: e.argv } : {}) });
      if (e.event === 'host-unreachable') actions.push({ time: e.ts, host: h.label, text: `host unreachable: ${e.message ?? ''}` });
    }
    const collect = h.byCommand.get('collect')?.output;
    if (collect && str(collect.path)) evidence.push({ host: h.label, path: str(collect.path)!, ...(str(collect.sha256) ? { sha256: str(collect.sha256) } : {}) });

    const scan = h.byCommand.get('persistence-scan')?.output;
    const prev = opts.compareWith?.(h.label);
    const prevHash = prev ? new Map(prev.map((f) => [str(f.key) ?? '', str(f.contentHash) ?? ''])) : null;
    for (const f of arr(scan?.findings)) {
      const s = sev(f.severity);
      const drift = prevHash ? (!prevHash.has(str(f.key) ?? '') ? 'new' : prevHash.get(str(f.key) ?? '') === str(f.contentHash) ? 'unchanged' : 'changed') : (str(f.drift) as ReportFinding['drift']);
      if (s !== 'info') {
        findings.push({ host: h.label, severity: s, source: `persistence-scan/${str(f.rule) ?? '?'}`, title: str(f.title) ?? '', evidence: str(f.evidence) ?? '', ...(str(f.path) ? { where: `${str(f.path)}${f.line ? `:${num(f.line)}` : ''}` } : {}), ...(str(f.mtime) ? { time: str(f.mtime) } : {}), ...(str(f.remediation) ? { remediation: str(f.remediation) } : {}), ...(drift ? { drift } : {}) });
      }
      if (str(f.mtime) && severityRank(s) >= severityRank('medium')) {
        chart.persistence.push({ time: str(f.mtime)!, host: h.label, text: `${str(f.title)} (${str(f.path) ?? ''})`, severity: s });
        timeline.push({ time: str(f.mtime)!, host: h.label, kind: 'persistence', text: `${s.toUpperCase()} ${str(f.path) ?? ''} changed: ${str(f.title)}` });
      }
      if (str(f.detector) === 'authorized-keys' && severityRank(s) >= severityRank('medium')) rotate = true;
    }

    const auth = h.byCommand.get('auth-review')?.output;
    for (const a of arr(auth?.alerts)) {
      findings.push({ host: h.label, severity: sev(a.severity), source: `auth-review/${str(a.rule) ?? '?'}`, title: str(a.title) ?? '', evidence: str(a.evidence) ?? '', ...(str(a.mtime) ? { time: str(a.mtime) } : {}), ...(str(a.remediation) ? { remediation: str(a.remediation) } : {}) });
    }
    for (const ip of arr(auth?.topIps)) {
      const jails = Array.isArray(ip.bannedIn) ? (ip.bannedIn as string[]) : [];
      if (jails.length) for (const j of jails) banned.set(`${h.label}\0${str(ip.ip)}`, (banned.get(`${h.label}\0${str(ip.ip)}`) ?? new Set()).add(j));
      if (num(ip.failures) > 0) timeline.push({ time: str(ip.firstSeen) ?? '', host: h.label, kind: 'auth-failures', text: `${num(ip.failures)} failed logins from ${str(ip.ip)} until ${str(ip.lastSeen)} (users: ${(Array.isArray(ip.users) ? ip.users : []).slice(0, 5).join(', ')})` });
    }
    for (const l of arr(auth?.logins)) {
      timeline.push({ time: str(l.first) ?? '', host: h.label, kind: 'login', text: `${str(l.user)} logged in from ${str(l.ip)} by ${str(l.method)} (${num(l.count)}×, last ${str(l.last)})${l.afterBruteForce ? ' — after a brute force from that address' : ''}` });
      if (l.afterBruteForce || l.failedBefore) rotate = true;
      if (num(l.failuresFromIp) > 0) legitimate.push({ host: h.label, ip: str(l.ip) ?? '', user: str(l.user) ?? '' });
    }
    const at = authTimeline(join(h.dir, 'auth-timeline.jsonl'));
    if (at) {
      const top = [...at.perIp].sort((a, b) => [...b[1].values()].reduce((x, y) => x + y, 0) - [...a[1].values()].reduce((x, y) => x + y, 0)).slice(0, 5);
      for (const [ip, m] of top) chart.failures.push({ ip, host: h.label, points: [...m].sort((a, b) => a[0].localeCompare(b[0])) });
      for (const l of at.logins) chart.logins.push({ ...l, host: h.label });
    } else {
      const buckets = arr(obj(auth?.histogram).buckets);
      if (buckets.length) chart.failures.push({ ip: 'all addresses', host: h.label, points: buckets.map((b) => [str(b.start) ?? '', num(b.failures)] as [string, number]) });
      for (const l of arr(auth?.logins)) chart.logins.push({ time: str(l.last) ?? '', host: h.label, text: `${str(l.user)} from ${str(l.ip)}` });
    }

    const f2b = h.byCommand.get('fail2ban')?.output;
    for (const c of arr(f2b?.checks)) if (c.ok === false) findings.push({ host: h.label, severity: sev(c.severity), source: `fail2ban/${str(c.id) ?? '?'}`, title: str(c.message) ?? '', evidence: str(c.message) ?? '' });
    for (const j of arr(f2b?.jails)) for (const b of arr(j.banned)) banned.set(`${h.label}\0${str(b.ip)}`, (banned.get(`${h.label}\0${str(b.ip)}`) ?? new Set()).add(str(j.name) ?? 'sshd'));
    for (const r of arr(obj(f2b?.history).recent)) if (str(r.action) === 'Ban') timeline.push({ time: str(r.time) ?? '', host: h.label, kind: 'ban', text: `fail2ban ${str(r.jail)} banned ${str(r.ip)}` });

    const sweep = h.byCommand.get('sweep')?.output;
    for (const r of arr(sweep?.results)) {
      if (str(r.status) !== 'fail') continue;
      findings.push({ host: h.label, severity: sev(r.severity), source: `sweep/${str(r.id) ?? '?'}`, title: str(r.title) ?? '', evidence: `expected ${str(r.expected)}, found ${str(r.actual)} (${str(r.evidence)})`, ...(str(r.path) ? { where: str(r.path) } : {}), ...(str(r.remediation) ? { remediation: str(r.remediation) } : {}), ...(str(r.drift) ? { drift: str(r.drift) as ReportFinding['drift'] } : {}) });
    }

    const iso = h.byCommand.get('isolate');
    if (iso) {
      const acts = arr(iso.output.actions);
      const first = acts.find((a) => a.ok !== false);
      const project = str(obj(iso.output.project).name) ?? str(iso.output.project) ?? '?';
      const time = str(first?.startedAt) ?? iso.end.ts;
      const text = `project ${project} isolated (${str(iso.output.mode) ?? '?'}): ${acts.map((a) => `${str(a.kind)} ${str(a.subject)}`).join(', ') || 'no action'}`;
      if (!iso.output.dryRun && acts.length) {
        chart.isolation.push({ time, host: h.label, text });
        timeline.push({ time, host: h.label, kind: 'isolation', text });
        for (const a of acts) actions.push({ time: str(a.startedAt) ?? time, host: h.label, text: `isolate: ${str(a.kind)} ${str(a.subject)} ${a.ok === false ? 'FAILED' : 'ok'}`, argv: Array.isArray(a.argv) ? (a.argv as string[]) : undefined });
        isolatedCases.push({ host: h.label, spec: meta.hosts.find((x) => x.label === h.label)?.spec, dir: str(iso.output.case) ?? h.dir });
      }
    }
  }

  for (const l of legitimate) {
    const jails = banned.get(`${l.host}\0${l.ip}`);
    if (!jails) continue;
    next.push({ title: `Unban ${l.ip} on ${l.host} if ${l.user}'s login from it is legitimate`, why: `${l.user} logged in from ${l.ip}, which failed before and is banned in ${[...jails].join(', ')}; confirm with the person first (seed: Incident Response, "Unban a legitimate IP").`, commands: [...[...jails].map((j) => `sudo fail2ban-client set ${j} unbanip ${l.ip}`), `ir unban ${l.ip} --reason "confirmed with ${l.user}"${hostFlag(meta, l.host)}`] });
  }
  if (rotate) {
    next.push({ title: 'Rotate SSH keys', why: 'a login followed failed attempts from the same address, or an authorized_keys finding is at medium or above: treat the keys that could have been read or added as known to the attacker.', commands: ['ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519_new', 'remove every key you cannot name from ~/.ssh/authorized_keys and /root/.ssh/authorized_keys', `ir persistence-scan --only authorized-keys${hostFlag(meta, meta.hosts[0]?.label ?? '')}`] });
  }
  for (const c of isolatedCases) {
    next.push({ title: `Bring ${c.host}'s project back when it is clean`, why: 'the project was isolated by this playbook; restore replays the isolation journal backwards. If a recent change to the app caused the problem, the seed\'s Rollback goes back one commit.', commands: [`ir restore --case ${c.dir}${c.spec ? ` --host ${c.spec} --sudo` : ''} --dry-run`, 'git checkout HEAD~1 -- docker-compose.yaml Dockerfile', 'docker compose down', 'docker compose up -d --build'] });
  }
  if (findings.some((f) => severityRank(f.severity) >= severityRank('high'))) {
    next.push({ title: 'Remove the high and critical persistence, then scan again', why: 'each finding below names its file and remediation; a clean second scan proves the removal.', commands: [`ir persistence-scan --fail-on high${hostFlag(meta, meta.hosts[0]?.label ?? '')}`] });
  }
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.host.localeCompare(b.host) || a.source.localeCompare(b.source));
  timeline.sort((a, b) => a.time.localeCompare(b.time));
  actions.sort((a, b) => a.time.localeCompare(b.time));
  const hostRows = meta.hosts.map((h) => {
    const ends = journal.filter((e) => e.host === h.label && e.event === 'step-end');
    const last = new Map<number, JournalEvent>();
    for (const e of ends) if (e.n !== undefined) last.set(e.n, e);
    const unreachable = journal.find((e) => e.host === h.label && e.event === 'host-unreachable');
    const hostEnd = [...journal].reverse().find((e) => e.host === h.label && e.event === 'host-end');
    return { label: h.label, status: unreachable ? 'unreachable' : (hostEnd?.status ?? 'unfinished'), steps: [...last.values()].sort((a, b) => a.n! - b.n!).map((e) => ({ n: e.n!, name: e.step ?? '', command: e.command ?? '', status: e.status ?? '', ...(e.seconds !== undefined ? { seconds: e.seconds } : {}), ...(e.outputs?.[0] ? { output: e.outputs[0] } : {}), ...(e.message ? { message: e.message } : {}) })) };
  });
  return { caseId: meta.id, playbook: meta.playbook, version: meta.version, startedAt: meta.startedAt, generatedAt: opts.now ?? new Date().toISOString(), hosts: hostRows, timeline: timeline.filter((t) => t.time), chart, findings, actions, evidence, next };
}

function hostFlag(meta: CaseMeta, label: string): string {
  const spec = meta.hosts.find((h) => h.label === label)?.spec;
  return spec ? ` --host ${spec} --sudo` : '';
}
