import { z } from 'zod';
import { isMissing, type Target } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { Severity } from '../core/finding.js';
import { DEFAULT_SOCKET, Fail2banClient, Fail2banError, Fail2banUnavailable, parseBanipWithTime, parseJailStatus, type BannedWithTime } from './client.js';
import { DEFAULT_CONF_DIR, readFail2banConfig, type Fail2banConfig, type JailConfig } from './config.js';
import { DEFAULT_DB, DEFAULT_LOG, readBanDatabase, readBanHistory } from './database.js';

export const Check = z.object({ id: z.string(), ok: z.boolean(), severity: Severity, message: z.string() });
export type Check = z.infer<typeof Check>;

export const BannedIp = z.object({
  ip: z.string(),
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
  warnings: z.array(z.string()),
});
export type Fail2banStatus = z.infer<typeof Fail2banStatus>;

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

/** The seed's expectations: sshd enabled, maxretry ≤ 3, a long ban. */
export function checkJail(j: Omit<JailReport, 'checks'>, policy: Policy): Check[] {
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

export async function fail2banStatus(t: Target, o: StatusOptions): Promise<Fail2banStatus> {
  const warnings: string[] = [];
  const confDir = o.confDir ?? DEFAULT_CONF_DIR;
  let config: Fail2banConfig | null = null;
  try {
    config = await readFail2banConfig(t, confDir);
  } catch (err) {
    warnings.push(`${confDir}: ${(err as Error).message}`);
  }
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
      server = /not installed/.test(err.message) ? 'not-installed' : 'not-running';
      message = err.message;
    }
  }
  const byName = new Map((config?.jails ?? []).map((j) => [j.name, j]));
  const jails: JailReport[] = [];
  let database: string | null = null;

  if (running) {
    const names = o.jail ? [o.jail] : running;
    // one fail2ban-client process for every jail's five questions
    const keys = ['maxretry', 'findtime', 'bantime'];
    const answers = await client.batch(names.flatMap((n) => [['status', n], ['get', n, 'banip', '--with-time'], ...keys.map((k) => ['get', n, k])]));
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
        banned: banned.map((b) => ({ ip: b.ip, bannedAt: localToIso(b.bannedAt, o.offsetMinutes), bantimeSeconds: b.bantimeSeconds ?? null, expires: b.bantimeSeconds !== undefined && b.bantimeSeconds < 0 ? null : localToIso(b.expires, o.offsetMinutes) })),
        settings,
      };
      jails.push({ ...j, checks: checkJail(j, o.policy) });
    }
  } else {
    // offline, or the server is down: what the files say
    const dbPath = o.db ?? (config?.server.dbfile && config.server.dbfile !== ':memory:' ? config.server.dbfile : DEFAULT_DB);
    let bans: Awaited<ReturnType<typeof readBanDatabase>> = [];
    try {
      bans = await readBanDatabase(t, dbPath);
      database = dbPath;
    } catch (err) {
      warnings.push(isMissing(err) ? `no ban database at ${dbPath}` : `${dbPath}: ${(err as Error).message}`);
    }
    const names = o.jail ? [o.jail] : [...new Set([...(config?.jails.filter((j) => j.enabled).map((j) => j.name) ?? []), ...bans.filter((b) => b.active).map((b) => b.jail)])];
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
        banned: active.map((b) => ({ ip: b.ip, bannedAt: b.bannedAt, bantimeSeconds: b.bantimeSeconds, expires: b.expires })),
        settings: fromConfig(jc),
      };
      jails.push({ ...j, checks: checkJail(j, o.policy) });
    }
  }

  let history: Fail2banStatus['history'] = null;
  const logPath = o.log ?? (config?.server.logtarget && config.server.logtarget.startsWith('/') ? config.server.logtarget : DEFAULT_LOG);
  if (!running || o.log) {
    try {
      const h = await readBanHistory(t, logPath, 50);
      history = { path: logPath, bans: h.bans, unbans: h.unbans, recent: h.events.filter((e) => !o.jail || e.jail === o.jail).map((e) => ({ ...e, time: localToIso(e.time, o.offsetMinutes) ?? e.time })) };
    } catch (err) {
      if (!isMissing(err)) warnings.push(`${logPath}: ${(err as Error).message}`);
    }
  }

  const checks: Check[] = [];
  if (t.live) checks.push({ id: 'fail2ban.running', ok: server === 'running', severity: 'high', message: server === 'running' ? `fail2ban answers on ${socket}` : (message ?? 'fail2ban is not running') });
  if (!o.jail || o.jail === 'sshd') {
    const sshd = jails.find((j) => j.name === 'sshd');
    const ok = sshd !== undefined && (sshd.running || sshd.enabled === true);
    checks.push({ id: 'fail2ban.sshd-enabled', ok, severity: 'high', message: ok ? 'the sshd jail is enabled' : 'no enabled sshd jail: SSH brute force is not banned' });
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
    warnings,
  });
}
