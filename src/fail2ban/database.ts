import { createRequire } from 'node:module';
import type { Target } from '../host/target.js';
import { LineSplitter } from '../logs/line-splitter.js';

/**
 * Offline bans: fail2ban's sqlite database (`bips`: the latest ban per address and jail since
 * 0.11; `bans` before), read with sql.js (WASM: Node 20 has no node:sqlite and no native build is
 * needed), and the Ban/Unban history of fail2ban.log.
 */

export const DEFAULT_DB = '/var/lib/fail2ban/fail2ban.sqlite3';
export const DEFAULT_LOG = '/var/log/fail2ban.log';

export interface DbBan {
  jail: string;
  ip: string;
  /** UTC ISO 8601 */
  bannedAt: string;
  bantimeSeconds: number;
  /** null: banned forever (bantime -1) */
  expires: string | null;
  active: boolean;
  banCount: number;
}

export async function readBanDatabase(t: Target, path = DEFAULT_DB, now = Date.now()): Promise<DbBan[]> {
  const bytes = await t.readFile(path, { maxBytes: 512 << 20 });
  const require = createRequire(import.meta.url);
  const initSqlJs = require('sql.js') as typeof import('sql.js').default;
  const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database(bytes);
  try {
    const tables = new Set((db.exec("SELECT name FROM sqlite_master WHERE type='table'")[0]?.values ?? []).map((r) => String(r[0])));
    const table = tables.has('bips') ? 'bips' : tables.has('bans') ? 'bans' : null;
    if (!table) return [];
    const hasCount = table === 'bips' || (db.exec('PRAGMA table_info(bans)')[0]?.values ?? []).some((r) => r[1] === 'bancount');
    const res = db.exec(`SELECT jail, ip, timeofban, ${table === 'bans' && !hasCount ? "-2 AS bantime, 1" : 'bantime, bancount'} FROM ${table} ORDER BY timeofban`);
    const out: DbBan[] = [];
    for (const r of res[0]?.values ?? []) {
      const at = Number(r[2]) * 1000;
      const bt = Number(r[3]);
      const expires = bt < 0 ? null : new Date(at + bt * 1000).toISOString();
      out.push({ jail: String(r[0]), ip: String(r[1]), bannedAt: new Date(at).toISOString(), bantimeSeconds: bt, expires, active: bt === -1 || (bt >= 0 && at + bt * 1000 > now), banCount: Number(r[4] ?? 1) });
    }
    return out;
  } finally {
    db.close();
  }
}

export interface BanHistoryEvent {
  /** as fail2ban.log prints it (server local time, no zone) */
  time: string;
  jail: string;
  action: 'Ban' | 'Unban' | 'Restore Ban' | 'Found' | 'Already banned';
  ip: string;
}

/** `2026-11-24 00:28:50,123 fail2ban.actions  [4242]: NOTICE  [sshd] Ban 203.0.113.9` */
const RE_F2B = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)? fail2ban\.(?:actions|filter)\s*\[\d+\]:\s*\w+\s+\[([^\]]+)\] (Ban|Unban|Restore Ban|Found|Already banned) (\S+)/;

/** Ban/Unban lines (not Found: one per failure), the last `keep`, streamed. */
export async function readBanHistory(t: Target, path = DEFAULT_LOG, keep = 500): Promise<{ events: BanHistoryEvent[]; bans: number; unbans: number }> {
  const events: BanHistoryEvent[] = [];
  let bans = 0;
  let unbans = 0;
  const s = new LineSplitter((line) => {
    const m = RE_F2B.exec(line);
    if (!m || m[3] === 'Found') return;
    if (m[3] === 'Ban') bans++;
    if (m[3] === 'Unban') unbans++;
    events.push({ time: m[1]!.replace(' ', 'T'), jail: m[2]!, action: m[3] as BanHistoryEvent['action'], ip: m[4]! });
    if (events.length > keep * 2) events.splice(0, events.length - keep);
  });
  for await (const c of (await t.openRead(path)) as AsyncIterable<Buffer>) s.push(c);
  s.end();
  return { events: events.slice(-keep), bans, unbans };
}
