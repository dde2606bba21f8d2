import { Memo } from '../core/memo.js';
import type { Target } from '../host/target.js';
import { isSystemAccount, passwdLine, shadowLine, type Account, type ShadowEntry } from '../host/facts/passwd.js';
import { sshdConfigs, type SshdConfig } from '../host/facts/sshd.js';
import { SyslogClock } from '../logs/syslog-time.js';
import { readContent, streamFile } from './detectors/util.js';

/** Logs whose last lines tell when an offline copy was taken. */
const CAPTURE_LOGS = ['/var/log/auth.log', '/var/log/syslog', '/var/log/messages', '/var/log/secure', '/var/log/kern.log', '/var/log/daemon.log', '/var/log/dpkg.log', '/var/log/apt/history.log'];
const ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?/;
const HISTORY = /^(?:Start|End)-Date: (\d{4}-\d\d-\d\d) {1,2}(\d\d:\d\d:\d\d)/;

/** The time of a log line: RFC 3339, dpkg's `YYYY-MM-DD HH:MM:SS`, apt's `Start-Date:`, or classic syslog (year from the file's mtime). */
export function lineTime(line: string, clock: SyslogClock): number | null {
  const iso = ISO.exec(line) ?? HISTORY.exec(line);
  if (iso) {
    const zone = iso[3] ? (iso[3] === 'Z' ? 'Z' : iso[3].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')) : 'Z';
    const ms = Date.parse(`${iso[1]}T${iso[2]}${zone}`);
    return Number.isFinite(ms) ? ms : null;
  }
  return clock.parse(line, 0)?.ts ?? null;
}

// the one passwd reader lives in host/facts; these names stay here for the modules that import them from the scan
export { NOLOGIN_SHELLS, parsePasswd, type Account } from '../host/facts/passwd.js';

/** Facts several detectors need, read once per scan and shared. */
export class Facts {
  private readonly cache = new Memo();
  constructor(readonly target: Target) {}

  protected memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.cache.get(key, fn);
  }

  /** The well-formed accounts of /etc/passwd (a malformed line is the privilege detector's finding, never an account). */
  accounts(): Promise<Account[]> {
    return this.memo('accounts', async () => {
      const out: Account[] = [];
      await streamFile(this.target, '/etc/passwd', (raw, n) => {
        const p = passwdLine(raw, n);
        if (p && 'entry' in p) out.push(p.entry);
      });
      return out;
    });
  }

  /** /etc/shadow by account name: null when there is none; an unreadable one throws (the caller says what it could not judge). */
  shadow(): Promise<Map<string, ShadowEntry> | null> {
    return this.memo('shadow', async () => {
      const out = new Map<string, ShadowEntry>();
      const f = await streamFile(this.target, '/etc/shadow', (raw, n) => {
        const p = shadowLine(raw, n);
        if (p && 'entry' in p && !out.has(p.entry.name)) out.set(p.entry.name, p.entry);
      });
      return f ? out : null;
    });
  }

  /** sshd's effective configuration (sshd -T of each running sshd live, the files offline), read once. */
  sshd(): Promise<SshdConfig[]> {
    return this.memo('sshd', () => sshdConfigs(this.target));
  }

  /**
   * When the target's state was seen: now on a live host; for an offline root, the newest time in its
   * logs (the last lines of auth.log, syslog, dpkg.log…), else the newest of their mtimes, else now.
   * "Recent" (a password changed this week) is measured from it, not from the day of the analysis.
   */
  captureTime(): Promise<{ ms: number; source: string }> {
    return this.memo('capture', async () => {
      if (this.target.live) return { ms: Date.now(), source: 'now (live host)' };
      let best: { ms: number; source: string } | undefined;
      let newestMtime: { ms: number; source: string } | undefined;
      for (const path of CAPTURE_LOGS) {
        const st = await this.target.stat(path).catch(() => null);
        if (st?.type !== 'file' || st.size === 0) continue;
        if (!newestMtime || st.mtime * 1000 > newestMtime.ms) newestMtime = { ms: st.mtime * 1000, source: `mtime of ${path}` };
        const tail = Math.min(st.size, 64 * 1024);
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of await readContent(this.target, path, st, tail, st.size - tail)) chunks.push(chunk);
        } catch {
          continue;
        }
        const clock = new SyslogClock(st.mtime * 1000);
        const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.trim()).slice(-50).reverse();
        for (const l of lines) {
          const ms = lineTime(l, clock);
          if (ms === null) continue;
          if (!best || ms > best.ms) best = { ms, source: `last line of ${path}` };
          break;
        }
      }
      return best ?? newestMtime ?? { ms: Date.now(), source: 'now (no logs with times in this root)' };
    });
  }

  /** A system account: uid below 1000 other than root, or nobody. */
  static isSystemAccount(a: Account): boolean {
    return isSystemAccount(a);
  }
}
