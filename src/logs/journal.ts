import type { AuthEvent } from './auth-event.js';
import { parseMessage } from './auth-parse.js';

/**
 * One record of `journalctl -o json` (one JSON object per line; systemd's JSON export format,
 * https://systemd.io/JOURNAL_EXPORT_FORMATS/): every value is a string, except binary fields
 * (MESSAGE with invalid UTF-8 or control bytes) which are arrays of byte values, and fields that
 * appear twice, which are arrays of those.
 */
const PROGRAMS = new Set(['sshd', 'sshd-session', 'sshd-auth', 'sudo', 'su', 'systemd-logind', 'useradd', 'usermod', 'userdel', 'groupadd', 'groupmod', 'groupdel', 'gpasswd', 'passwd', 'chpasswd', 'chage', 'CRON', 'cron', 'crond', 'login']);

export interface JournalResult {
  event: AuthEvent | null;
  header: boolean;
}

function field(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return Buffer.from(v as number[]).toString('utf8');
    return field(v[0]);
  }
  return undefined;
}

export function parseJournalLine(line: string): JournalResult {
  let rec: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { event: null, header: false };
    rec = v as Record<string, unknown>;
  } catch {
    return { event: null, header: false };
  }
  const program = field(rec.SYSLOG_IDENTIFIER) ?? field(rec._COMM);
  const message = field(rec.MESSAGE);
  const us = field(rec.__REALTIME_TIMESTAMP) ?? field(rec._SOURCE_REALTIME_TIMESTAMP);
  if (!program || message === undefined) return { event: null, header: us !== undefined };
  if (!PROGRAMS.has(program)) return { event: null, header: true };
  const ts = us && /^\d+$/.test(us) ? Math.floor(Number(us) / 1000) : NaN;
  const host = field(rec._HOSTNAME) ?? '';
  const pidText = field(rec.SYSLOG_PID) ?? field(rec._PID);
  const pid = pidText && /^\d+$/.test(pidText) ? Number(pidText) : undefined;
  const iso = Number.isNaN(ts) ? '-' : new Date(ts).toISOString();
  const raw = `${iso} ${host} ${program}${pid !== undefined ? `[${pid}]` : ''}: ${message}`;
  return { event: parseMessage(ts, host, program, pid, message, raw), header: true };
}
