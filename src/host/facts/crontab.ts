/**
 * crontab(5) and anacrontab(5): the one parser for the scan's cron detector and the sweep's backup check.
 * Lines are parsed one at a time (`crontabLine`) so a reader can stream a padded file.
 */
import { textLines, type Parsed } from './passwd.js';

export interface CronEntry {
  schedule: string;
  /** the user field of system crontabs (/etc/crontab, cron.d) */
  user?: string;
  command: string;
  line: number;
  raw: string;
}

const FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
const SPECIAL = /^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;

/** One crontab line: an entry, a malformed line (never guessed at), or null (blank, comment, VAR=value). */
export function crontabLine(raw: string, line: number, system: boolean): Parsed<CronEntry> {
  const text = raw.trim();
  if (!text || text.startsWith('#') || ENV.test(text)) return null;
  // token positions, so that the command keeps its own spacing
  const tokens = [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index ?? 0 }));
  const nSched = SPECIAL.test(tokens[0]!.text) ? 1 : 5;
  const fields = tokens.slice(0, nSched).map((t) => t.text);
  if (fields.length < nSched || (nSched === 5 && !fields.every((f) => FIELD.test(f)))) return { malformed: { line, raw, why: 'not a schedule' } };
  const user = system ? tokens[nSched]?.text : undefined;
  const cmdTok = tokens[nSched + (system ? 1 : 0)];
  const command = cmdTok ? text.slice(cmdTok.at) : '';
  if (!command) return { malformed: { line, raw, why: 'no command' } };
  return { entry: { schedule: fields.join(' '), user, command, line, raw } };
}

/** Parses crontab text; system crontabs (/etc/crontab, cron.d) carry a user field. Malformed lines come back apart. */
export function parseCrontab(text: string, system: boolean): { entries: CronEntry[]; malformed: { line: number; raw: string }[] } {
  const entries: CronEntry[] = [];
  const malformed: { line: number; raw: string }[] = [];
  for (const [raw, n] of textLines(text)) {
    const p = crontabLine(raw, n, system);
    if (!p) continue;
    if ('entry' in p) entries.push(p.entry);
    else malformed.push({ line: p.malformed.line, raw: p.malformed.raw });
  }
  return { entries, malformed };
}

/** One anacrontab line: `period delay job-id command`. */
export function anacrontabLine(raw: string, line: number): CronEntry | null {
  const text = raw.trim();
  if (!text || text.startsWith('#') || ENV.test(text)) return null;
  const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(.+)$/.exec(text);
  return m ? { schedule: `${m[1]} delay ${m[2]} (${m[3]})`, user: 'root', command: m[4]!, line, raw } : null;
}

export function parseAnacrontab(text: string): CronEntry[] {
  const out: CronEntry[] = [];
  for (const [raw, n] of textLines(text)) {
    const e = anacrontabLine(raw, n);
    if (e) out.push(e);
  }
  return out;
}
