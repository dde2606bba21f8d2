import { z } from 'zod';
import { isMissing, type DeclaredInputs, type Target } from '../host/target.js';
import { canonicalIp, ipSpellingProblem } from '../core/ip.js';
import type { Policy } from '../core/policy.js';
import { Severity } from '../core/finding.js';
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from '../core/errors.js';
import { DEFAULT_SOCKET, Fail2banClient, Fail2banError, fail2banArgv, fail2banBatchArgv, Fail2banUnavailable, parseBanipWithTime, parseJailStatus, type BannedWithTime } from './client.js';
import { DEFAULT_CONF_DIR, readFail2banConfig, type Fail2banConfig, type JailConfig } from './config.js';
import { DEFAULT_DB, DEFAULT_LOG, readBanDatabase, readBanHistory } from './database.js';

export const Check = z.object({ id: z.string(), ok: z.boolean(), severity: Severity, message: z.string() });
export type Check = z.infer<typeof Check>;

export const BannedIp = z.object({
  /** canonical spelling (core/ip.ts); a text fail2ban holds that is no address is kept as it is, with `problem` */
  ip: z.string(),
  problem: z.string().optional(),
  bannedAt: z.string().nullable(),
  bantimeSeconds: z.number().nullable(),
  /** null: forever, or unknown */
  expires: z.string().nullable(),
});

export const JailReport = z.object({
  name: z.string(),
  /** enabled in the configuration files (null: files not readable) */
  enabled: z.boolean().nullable(),
  /** the running server has this jail */
  running: z.boolean(),
  filter: z.string().nullable(),
  currentlyFailed: z.number().int().nullable(),
  totalFailed: z.number().int().nullable(),
  currentlyBanned: z.number().int(),
  totalBanned: z.number().int().nullable(),
  banned: z.array(BannedIp),
  settings: z.object({
    maxretry: z.number().nullable(),
    findtime: z.number().nullable(),
    bantime: z.number().nullable(),
    banaction: z.string().nullable(),
    action: z.string().nullable(),
    backend: z.string().nullable(),
    logpath: z.array(z.string()),
  }),
  /** file and line of each setting read from the configuration */
  sources: z.record(z.string(), z.object({ path: z.string(), line: z.number().int() })),
  /** settings fail2ban cannot use as written (`maxretry = 3 # three`, `enabled = tru`), with file and line */
  unusable: z.array(z.object({ key: z.string(), path: z.string(), line: z.number().int(), message: z.string() })),
  checks: z.array(Check),
});
export type JailReport = z.infer<typeof JailReport>;

export const Fail2banStatus = z.object({
  host: z.string(),
  /** live: the server answered; offline: configuration, database and log only */
  mode: z.enum(['live', 'offline']),
  server: z.enum(['running', 'not-running', 'not-installed', 'not-asked']),
  message: z.string().optional(),
  socket: z.string(),
  confDir: z.string(),
  configFiles: z.array(z.string()),
  database: z.string().nullable(),
  jails: z.array(JailReport),
  history: z
    .object({ path: z.string(), bans: z.number().int(), unbans: z.number().int(), recent: z.array(z.object({ time: z.string(), jail: z.string(), action: z.string(), ip: z.string() })) })
    .nullable(),
  checks: z.array(Check),
  /**
   * what could not be read or asked (exit 2): a configuration fail2ban cannot read (file and line), a
   * socket ir may not use, a database or log that exists but could not be read
   */
  errors: z.array(z.object({ path: z.string().optional(), line: z.number().int().optional(), message: z.string() })),
  warnings: z.array(z.string()),
});
export type Fail2banStatus = z.infer<typeof Fail2banStatus>;

/** 2 when something could not be read or asked, 1 when a check fails, else 0. */
export function statusExitCode(r: Fail2banStatus): number {
  if (r.errors.length > 0) return EXIT_ERROR;
  return r.checks.some((c) => !c.ok) || r.jails.some((j) => j.checks.some((c) => !c.ok)) ? EXIT_FINDINGS : EXIT_OK;
}

/** An address as fail2ban reported it, in canonical spelling; a text that is no address is kept and said. */
export function bannedAddress(raw: string): { ip: string; problem?: string } {
  const ip = canonicalIp(raw);
  if (ip !== null) return { ip };
  return { ip: raw, problem: `not an address (${ipSpellingProblem(raw)}): fail2ban keeps the text as given to it, and its firewall action may read it differently` };
}

export interface StatusOptions {
  socket?: string;
  confDir?: string;
  jail?: string;
  policy: Policy;
  /** minutes east of UTC of the times fail2ban prints (its server's zone) */
  offsetMinutes: number;
  db?: string;
  log?: string;
}

function localToIso(s: string | undefined, offsetMinutes: number): string | null {
  if (!s) return null;
  const t = Date.parse(`${s.replace(' ', 'T')}Z`);
  return Number.isNaN(t) ? null : new Date(t - offsetMinutes * 60_000).toISOString();
}

/** The hardening guide's expectations (policy `fail2ban:`): maxretry ≤ 3, a long ban, a findtime, a banaction that reaches the firewall. */
export function checkJail(j: Omit<JailReport, 'checks' | 'sources' | 'unusable'>, policy: Policy): Check[] {
  const p = policy.fail2ban;
  const checks: Check[] = [];
  const s = j.settings;
  if (s.maxretry !== null) checks.push({ id: 'fail2ban.maxretry', ok: s.maxretry <= p.maxretry, severity: 'medium', message: `maxretry ${s.maxretry} (policy ≤ ${p.maxretry})` });
  if (s.bantime !== null) {
    const forever = s.bantime < 0;
    checks.push({ id: 'fail2ban.bantime', ok: forever || s.bantime >= p.minBantime, severity: 'medium', message: `bantime ${forever ? 'forever' : `${s.bantime} s`} (policy ≥ ${p.minBantime} s)` });
  }
  if (s.findtime !== null) checks.push({ id: 'fail2ban.findtime', ok: s.findtime >= p.minFindtime, severity: 'low', message: `findtime ${s.findtime} s (policy ≥ ${p.minFindtime} s)` });
  if (s.banaction && /dummy/.test(s.banaction) && /dummy/.test(s.action ?? 'dummy')) checks.push({ id: 'fail2ban.banaction', ok: false, severity: 'high', message: `banaction ${s.banaction}: bans never reach the firewall` });
  return checks;
}

/** A setting fail2ban cannot use as written is a failed check, named by its file and line. */
function problemChecks(jc: JailConfig | undefined): Check[] {
  return (jc?.problems ?? []).map((p) => ({ id: `fail2ban.setting.${p.key}`, ok: false, severity: 'medium' as const, message: `${p.path} line ${p.line}: ${p.message}` }));
}

/** A failed setting check names where the setting is written, so the fix starts there. */
function withSource(checks: Check[], jc: JailConfig | undefined): Check[] {
  const key: Record<string, string> = { 'fail2ban.maxretry': 'maxretry', 'fail2ban.bantime': 'bantime', 'fail2ban.findtime': 'findtime', 'fail2ban.banaction': 'banaction' };
  return checks.map((c) => {
    const src = !c.ok && key[c.id] ? jc?.sources[key[c.id]!] : undefined;
    return src ? { ...c, message: `${c.message} — set in ${src.path} line ${src.line}` } : c;
  });
}

const sourcesOf = (jc: JailConfig | undefined): JailReport['sources'] => Object.fromEntries(Object.entries(jc?.sources ?? {}).map(([k, v]) => [k, { path: v.path, line: v.line }]));

function fromConfig(jc: JailConfig | undefined): JailReport['settings'] {
  return {
    maxretry: jc?.maxretry ?? null,
    findtime: jc?.findtime ?? null,
    bantime: jc?.bantime ?? null,
    banaction: jc?.banaction ?? null,
    action: jc?.action ?? null,
    backend: jc?.backend ?? null,
    logpath: jc?.logpath ?? [],
  };
}

/** A path that reads as itself in a declaration (no space, glob or brace): others are left to the reads that find them. */
const declarable = (p: string): boolean => /^\/[\w@%+=:,./-]*$/.test(p);

/** The five questions `fail2ban` asks the server about each jail, in one fail2ban-client process. */
const JAIL_KEYS = ['maxretry', 'findtime', 'bantime'];
const jailQuestions = (names: string[]): string[][] => names.flatMap((n) => [['status', n], ['get', n, 'banip', '--with-time'], ...JAIL_KEYS.map((k) => ['get', n, k])]);

/**
 * What `fail2ban` reads, declared for one batch over ssh (docs/remote.md): the configuration files
 * fail2ban merges (their includes, found in their content, come in a follow-up), the log and database
 * named on the command line, and the server's jail list; with `--jail`, that jail's questions too (the
 * jails otherwise come from the list). The socket asked is --socket, else fail2ban's default: when the
 * configuration names another, the status goes to the host on its own.
 */
export function fail2banInputs(o: Pick<StatusOptions, 'socket' | 'confDir' | 'jail' | 'db' | 'log'>): DeclaredInputs {
  const dir = o.confDir ?? DEFAULT_CONF_DIR;
  const paths = declarable(dir) ? [dir, `${dir}/*.conf`, `${dir}/*.local`, `${dir}/jail.d/*`, `${dir}/fail2ban.d/*`] : [];
  for (const p of [o.log, o.db]) if (p && declarable(p)) paths.push(p);
  const where = ['-s', o.socket ?? DEFAULT_SOCKET];
  const commands = [fail2banArgv(where, ['status'])];
  if (o.jail) commands.push(fail2banBatchArgv(where, jailQuestions([o.jail])));
  return { paths, commands };
}

/**
 * The report of fail2ban on one host. Over ssh its reads come in one batch and the per-jail
 * questions in one more command (a kept-open shell: one round trip), whatever the number of jails.
 */
export async function fail2banStatus(host: Target, o: StatusOptions): Promise<Fail2banStatus> {
  const t = (host.live ? await host.prefetch?.(fail2banInputs(o)) : undefined) ?? host;
  try {
    return await statusOf(t, o);
  } finally {
    if (t !== host) await t.close();
  }
}

async function statusOf(t: Target, o: StatusOptions): Promise<Fail2banStatus> {
  const warnings: string[] = [];
  const errors: Fail2banStatus['errors'] = [];
  const confDir = o.confDir ?? DEFAULT_CONF_DIR;
  let config: Fail2banConfig | null = null;
  try {
    config = await readFail2banConfig(t, confDir);
  } catch (err) {
    errors.push({ path: confDir, message: `could not read the configuration: ${(err as Error).message}` });
  }
  for (const e of config?.errors ?? []) errors.push({ path: e.path, ...(e.line ? { line: e.line } : {}), message: e.message });
  /** the jails' settings come from files fail2ban cannot read: shown, but never judged OK */
  const unreadable = errors.length > 0;
  const socket = o.socket ?? config?.server.socket ?? DEFAULT_SOCKET;
  const client = new Fail2banClient(t, socket);
  let server: Fail2banStatus['server'] = 'not-asked';
  let message: string | undefined;
  let running: string[] | null = null;
  if (t.live) {
    try {
      running = await client.jails();
      server = 'running';
    } catch (err) {
      if (!(err instanceof Fail2banUnavailable)) throw err;
      server = err.why === 'not-installed' ? 'not-installed' : 'not-running';
      message = err.message;
      // ir could not look (no permission on the socket, sudo refused): not a fact about the host
      if (err.why === 'denied') errors.push({ path: socket, message: err.message });
    }
  }
  const byName = new Map((config?.jails ?? []).map((j) => [j.name, j]));
  const jails: JailReport[] = [];
  let database: string | null = null;

  if (running) {
    const names = o.jail ? [o.jail] : running;
    // one fail2ban-client process for every jail's five questions
    const keys = JAIL_KEYS;
    const answers = await client.batch(jailQuestions(names));
    for (const [i, name] of names.entries()) {
      const a = answers.slice(i * 5, i * 5 + 5);
      if (a[0] === null || a[0] === undefined) throw new Fail2banError(`no jail ${name} (jails: ${running.join(', ') || 'none'})`);
      const st = parseJailStatus(name, a[0]);
      const banned: BannedWithTime[] = a[1] ? parseBanipWithTime(a[1]) : st.bannedIps.map((ip) => ({ ip }));
      const num = (k: string): number | null => {
        const v = Number(a[2 + keys.indexOf(k)] ?? 'x');
        return a[2 + keys.indexOf(k)] && Number.isFinite(v) ? v : null;
      };
      const jc = byName.get(name);
      const settings = { ...fromConfig(jc), maxretry: num('maxretry'), findtime: num('findtime'), bantime: num('bantime'), logpath: st.files.length ? st.files : (jc?.logpath ?? []) };
      const j = {
        name,
        enabled: jc ? jc.enabled : config ? false : null,
        running: running.includes(name),
        filter: jc?.filter ?? null,
        currentlyFailed: st.currentlyFailed,
        totalFailed: st.totalFailed,
        currentlyBanned: st.currentlyBanned,
        totalBanned: st.totalBanned,
        banned: banned.map((b) => ({ ...bannedAddress(b.ip), bannedAt: localToIso(b.bannedAt, o.offsetMinutes), bantimeSeconds: b.bantimeSeconds ?? null, expires: b.bantimeSeconds !== undefined && b.bantimeSeconds < 0 ? null : localToIso(b.expires, o.offsetMinutes) })),
        settings,
      };
      // the live values (maxretry, findtime, bantime) are the server's: judged even when the files are unreadable
      const checks = unreadable ? checkJail({ ...j, settings: { ...settings, banaction: null } }, o.policy) : [...withSource(checkJail(j, o.policy), jc), ...problemChecks(jc)];
      jails.push({ ...j, sources: sourcesOf(jc), unusable: jc?.problems ?? [], checks });
    }
  } else {
    // offline, or the server is down: what the files say
    const dbPath = o.db ?? (config?.server.dbfile && config.server.dbfile !== ':memory:' ? config.server.dbfile : DEFAULT_DB);
    let bans: Awaited<ReturnType<typeof readBanDatabase>> = [];
    try {
      bans = await readBanDatabase(t, dbPath);
      database = dbPath;
    } catch (err) {
      if (isMissing(err)) warnings.push(`no ban database at ${dbPath}`);
      else errors.push({ path: dbPath, message: `could not read the ban database: ${(err as Error).message}` });
    }
    // enabled jails, jails with a ban, and jails whose settings fail2ban cannot use (`enabled = tru`)
    const names = o.jail ? [o.jail] : [...new Set([...(config?.jails.filter((j) => j.enabled || j.problems.length > 0).map((j) => j.name) ?? []), ...bans.filter((b) => b.active).map((b) => b.jail)])];
    for (const name of names) {
      const jc = byName.get(name);
      const active = bans.filter((b) => b.jail === name && b.active);
      const j = {
        name,
        enabled: jc ? jc.enabled : config ? false : null,
        running: false,
        filter: jc?.filter ?? null,
        currentlyFailed: null,
        totalFailed: null,
        currentlyBanned: active.length,
        totalBanned: null,
        banned: active.map((b) => ({ ...bannedAddress(b.ip), bannedAt: b.bannedAt, bantimeSeconds: b.bantimeSeconds, expires: b.expires })),
        settings: fromConfig(jc),
      };
      // settings from files fail2ban cannot read are shown, never judged
      jails.push({ ...j, sources: sourcesOf(jc), unusable: jc?.problems ?? [], checks: unreadable ? [] : [...withSource(checkJail(j, o.policy), jc), ...problemChecks(jc)] });
    }
  }

  let history: Fail2banStatus['history'] = null;
  const logPath = o.log ?? (config?.server.logtarget && config.server.logtarget.startsWith('/') ? config.server.logtarget : DEFAULT_LOG);
  if (!running || o.log) {
    try {
      const h = await readBanHistory(t, logPath, 50);
      history = { path: logPath, bans: h.bans, unbans: h.unbans, recent: h.events.filter((e) => !o.jail || e.jail === o.jail).map((e) => ({ ...e, ip: canonicalIp(e.ip) ?? e.ip, time: localToIso(e.time, o.offsetMinutes) ?? e.time })) };
    } catch (err) {
      if (!isMissing(err)) errors.push({ path: logPath, message: `could not read fail2ban's log: ${(err as Error).message}` });
    }
  }

  const checks: Check[] = [];
  if (t.live) checks.push({ id: 'fail2ban.running', ok: server === 'running', severity: 'high', message: server === 'running' ? `fail2ban answers on ${socket}` : (message ?? 'fail2ban is not running') });
  const sshd = jails.find((j) => j.name === 'sshd');
  // from unreadable files nothing is called enabled; a running jail is the server's fact
  if ((!o.jail || o.jail === 'sshd') && (!unreadable || sshd?.running)) {
    const ok = sshd !== undefined && (sshd.running || sshd.enabled === true);
    checks.push({ id: 'fail2ban.sshd-enabled', ok, severity: 'high', message: ok ? 'the sshd jail is enabled' : 'no enabled sshd jail: SSH brute force is not banned' });
  }
  // settings fail2ban cannot use, of jails not shown (`enabled = tru` keeps a jail from running)
  if (!unreadable) {
    for (const jc of config?.jails ?? []) {
      if (jails.some((j) => j.name === jc.name) || (o.jail && o.jail !== jc.name)) continue;
      for (const c of problemChecks(jc)) checks.push({ ...c, message: `[${jc.name}] ${c.message}` });
    }
  }
  if (o.jail && !jails.some((j) => j.name === o.jail)) warnings.push(`no jail ${o.jail}`);

  return Fail2banStatus.parse({
    host: t.name,
    mode: running ? 'live' : 'offline',
    server,
    message,
    socket,
    confDir,
    configFiles: config?.files ?? [],
    database,
    jails,
    history,
    checks,
    errors,
    warnings,
  });
}
