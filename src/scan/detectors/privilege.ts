import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { groupLine, NOLOGIN_SHELLS, passwdLine, shadowLine, type Account, type Malformed, type ShadowEntry } from '../../host/facts/passwd.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf, provenance } from '../rules/judge-file.js';
import { MAX_LINE, NORMAL, readLines, stampMtime } from './util.js';

/** sudo rules kept per file while it streams. */
const KEPT_RULES = 1000;

/** Programs that hand out a root shell when run through sudo (GTFOBins "Sudo" section). */
const SHELL_ESCAPES = /(^|\/)(bash|sh|dash|zsh|ksh|csh|tcsh|fish|vi|vim|nvim|view|vimdiff|nano|pico|emacs|less|more|man|find|awk|gawk|mawk|nawk|perl|python[\d.]*|ruby|php[\d.]*|lua|node|tar|zip|rsync|scp|ssh|git|env|nice|nohup|timeout|strace|gdb|docker|systemctl|journalctl|su|tee|cp|mv|dd|chmod|chown|install|apt|apt-get|dpkg|pip[\d.]*|make|openssl|tcpdump|nmap|socat|nc|crontab|sed|ed|ftp|mysql|psql|sqlite3)$/;
const PRIV_GROUPS = /^(sudo|wheel|admin|root|docker|lxd|disk|shadow|adm)$/;

export interface SudoRule {
  line: number;
  raw: string;
  who: string;
  runas: string;
  nopasswd: boolean;
  commands: string[];
}

export interface SudoersLine {
  rule?: SudoRule;
  defaults?: { line: number; raw: string };
  include?: string;
}

/** One sudoers(5) logical line (continuations already joined): a user specification, Defaults, or an include. */
export function sudoersLine(joined: string, start: number): SudoersLine | null {
  const inc = /^[#@]include(dir)?\s+(\S+)/.exec(joined);
  if (inc) return { include: `${inc[1] ? 'dir:' : ''}${inc[2]}` };
  const l = joined.replace(/(^|\s)#.*$/, '').trim();
  if (!l) return null;
  if (/^Defaults\b/.test(l)) return { defaults: { line: start, raw: l } };
  if (/^(User|Runas|Host|Cmnd|Cmd)_Alias\b/.test(l)) return null;
  const m = /^(\S+)\s+[^=]+=\s*(\([^)]*\))?\s*(.*)$/.exec(l);
  if (!m) return null;
  const rest = m[3]!;
  const nopasswd = /\bNOPASSWD\s*:/.test(rest);
  const commands = rest
    .replace(/\b[A-Z_]+\s*:/g, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { rule: { line: start, raw: l, who: m[1]!, runas: m[2] ?? '(root)', nopasswd, commands } };
}

/** Joins sudoers continuation lines fed one physical line at a time (a streamed file), bounded like any logical line. */
export class SudoersLines {
  private buf: string | undefined;
  private start = 0;
  constructor(private readonly emit: (l: SudoersLine) => void) {}

  push(raw: string, n: number): void {
    const t = raw.trim();
    if (this.buf === undefined) {
      this.buf = t;
      this.start = n;
    } else this.buf = clip(this.buf.slice(0, -1) + ' ' + t, MAX_LINE);
    if (this.buf.endsWith('\\')) return;
    this.flush();
  }

  end(): void {
    if (this.buf !== undefined) this.flush();
  }

  private flush(): void {
    const l = sudoersLine(this.buf!, this.start);
    this.buf = undefined;
    if (l) this.emit(l);
  }
}

/** sudoers(5) user specifications and Defaults, continuation lines joined; aliases and `#include` handled by the caller. */
export function parseSudoers(text: string): { rules: SudoRule[]; defaults: { line: number; raw: string }[]; includes: string[] } {
  const rules: SudoRule[] = [];
  const defaults: { line: number; raw: string }[] = [];
  const includes: string[] = [];
  const p = new SudoersLines((l) => {
    if (l.rule) rules.push(l.rule);
    if (l.defaults) defaults.push(l.defaults);
    if (l.include) includes.push(l.include);
  });
  text.split('\n').forEach((raw, i) => p.push(raw, i + 1));
  p.end();
  return { rules, defaults, includes };
}

async function sudoers(ctx: DetectorContext, c: Collector): Promise<void> {
  const files: string[] = ['/etc/sudoers'];
  const expected = new Set(ctx.policy.expectedAccounts);
  for (let i = 0; i < files.length && i < 64; i++) {
    const path = files[i]!;
    // kept while the file streams (bounded: a padded sudoers is one finding of its own, not a memory problem)
    const parsed = { rules: [] as SudoRule[], defaults: [] as { line: number; raw: string }[], includes: [] as string[] };
    const lines = new SudoersLines((l) => {
      if (l.rule && parsed.rules.length < KEPT_RULES) parsed.rules.push(l.rule);
      if (l.defaults && parsed.defaults.length < KEPT_RULES) parsed.defaults.push(l.defaults);
      if (l.include && parsed.includes.length < 64) parsed.includes.push(l.include);
    });
    const file = await readLines(ctx.target, c, path, { kind: 'sudoers file', normal: NORMAL.config }, (raw, n) => lines.push(raw, n));
    if (!file) continue;
    lines.end();
    c.examined++;
    for (const inc of parsed.includes) {
      if (inc.startsWith('dir:')) {
        // sudo skips names with a dot or ending in ~ inside an includedir
        for (const e of await entriesOf(c, ctx, inc.slice(4))) if (!/[.~]/.test(e.name) && e.stat.type !== 'dir') files.push(e.path);
      } else files.push(inc.startsWith('/') ? inc : posix.join('/etc', inc));
    }
    const prov = await provenance(ctx, path, file.stat, file.md5);
    const st = file.stat;
    if (st.mode & 0o022) {
      c.add({
        rule: 'privilege.sudoers-writable',
        key: instanceKey('privilege', path, 'mode'),
        contentHash: contentHash(st.mode),
        severity: 'high',
        title: `sudoers file writable by others: ${path}`,
        path,
        evidence: `mode ${st.mode.toString(8)} uid ${st.uid}`,
        attack: 'T1548.003',
        reason: 'anyone who can write it can give themselves root',
        remediation: `chmod 0440 ${path}`,
        mtime: isoFromEpochSeconds(st.mtime),
      });
    }
    for (const d of parsed.defaults) {
      if (!/!\s*authenticate\b|\bauthenticate\s*=\s*false/.test(d.raw) && !/!\s*requiretty.*!\s*authenticate/.test(d.raw)) continue;
      c.add({
        rule: 'privilege.sudo-no-authenticate',
        key: instanceKey('privilege', path, d.raw),
        contentHash: contentHash(d.raw),
        severity: 'high',
        title: 'sudo never asks for a password (!authenticate)',
        path,
        line: d.line,
        evidence: clip(d.raw, 300),
        attack: 'T1548.003',
        reason: ['Defaults !authenticate turns off the password check', ...prov.notes].join('; '),
        remediation: `Remove the line with visudo -f ${path}`,
        mtime: isoFromEpochSeconds(st.mtime),
      });
    }
    for (const r of parsed.rules) {
      const all = r.commands.some((x) => x === 'ALL');
      const escapes = r.commands.filter((x) => SHELL_ESCAPES.test(x.split(/\s+/)[0]!));
      let severity: Severity = 'info';
      let rule = 'sudo-rule';
      const reasons: string[] = [];
      if (r.nopasswd && all) {
        severity = 'high';
        rule = 'sudo-nopasswd-all';
        reasons.push('passwordless root for every command');
      } else if (r.nopasswd && escapes.length) {
        severity = 'high';
        rule = 'sudo-shell-escape';
        reasons.push(`passwordless sudo for ${escapes.join(', ')}, which can start a root shell (GTFOBins)`);
      } else if (r.nopasswd) {
        severity = 'low';
        rule = 'sudo-nopasswd';
        reasons.push('passwordless sudo for specific commands');
      } else reasons.push('sudo rule (inventory)');
      const user = r.who.replace(/^%/, '');
      if (severity === 'high' && expected.has(user)) {
        severity = 'medium';
        reasons.push('account listed in the policy (expectedAccounts)');
      }
      // the stock `root ALL=(ALL:ALL) ALL` and `%sudo ALL=(ALL:ALL) ALL` of a pristine /etc/sudoers say nothing
      if (severity === 'info' && prov.pristine) continue;
      c.add({
        rule: `privilege.${rule}`,
        key: instanceKey('privilege', path, `${r.who} ${r.runas} ${r.commands.join(',')}`),
        contentHash: contentHash(r.raw),
        severity,
        title: severity === 'info' ? `sudo rule for ${r.who}` : `sudo rule for ${r.who}: ${reasons[0]}`,
        path,
        line: r.line,
        user,
        evidence: clip(r.raw, 300),
        attack: 'T1548.003',
        reason: [...reasons, ...prov.notes].join('; '),
        remediation: severity === 'info' ? undefined : `Review with the owner of ${r.who}; remove the line with visudo -f ${path}`,
        mtime: isoFromEpochSeconds(st.mtime),
        details: { who: r.who, runas: r.runas, nopasswd: r.nopasswd, commands: r.commands },
      });
    }
  }
}

/** A corrupt line of an account database: low by itself, never read as an account. */
function corruptLine(c: Collector, path: string, m: Malformed, mtime: number): void {
  c.warn(`corrupt line ${m.line} (${m.why}): not read as an account`, path);
  c.add({
    rule: 'privilege.corrupt-line',
    key: instanceKey('privilege', path, `corrupt ${m.raw}`),
    contentHash: contentHash(m.raw),
    severity: 'low',
    title: `corrupt ${path} line ${m.line}`,
    path,
    line: m.line,
    evidence: clip(m.raw, 300),
    attack: 'T1098',
    reason: `${m.why}; no account is read from it (an empty UID is not root), but a hand edit or a tool that broke the file is worth knowing`,
    remediation: `Compare ${path} with its backup (${path}-), fix or remove the line (vipw / vigr), then pwck -r.`,
    mtime: isoFromEpochSeconds(mtime),
  });
}

/** Days since 1970-01-01 (shadow's unit) → ISO date. */
const dayIso = (d: number): string => new Date(d * 86_400_000).toISOString().slice(0, 10);
/** The detectors' window for "recent" (location.ts recentlyChanged). */
const RECENT_DAYS = 7;

interface ShadowView {
  entries: Map<string, ShadowEntry>;
  mtime?: number;
  /** false when /etc/shadow exists but could not be read (hashes unknown) */
  readable: boolean;
}

async function readShadow(ctx: DetectorContext, c: Collector): Promise<ShadowView> {
  const entries = new Map<string, ShadowEntry>();
  const malformed: Malformed[] = [];
  const file = await readLines(ctx.target, c, '/etc/shadow', { kind: 'shadow file', normal: NORMAL.accounts }, (raw, n) => {
    const p = shadowLine(raw, n);
    if (!p) return;
    if ('entry' in p) {
      if (!entries.has(p.entry.name)) entries.set(p.entry.name, p.entry);
    } else if (malformed.length < 100) malformed.push(p.malformed);
  });
  if (file) for (const m of malformed) corruptLine(c, '/etc/shadow', m, file.stat.mtime);
  // readLines records an unreadable shadow as an error; null here means missing or unreadable
  return { entries, mtime: file?.stat.mtime, readable: file !== null || !c.errors.some((e) => e.path === '/etc/shadow') };
}

async function accounts(ctx: DetectorContext, c: Collector): Promise<void> {
  const shadow = await readShadow(ctx, c);
  const expected = new Set(ctx.policy.expectedAccounts);
  const seen: Account[] = [];
  const malformed: Malformed[] = [];
  const judgeAccount = (a: Account) => {
    c.examined++;
    const raw = `${a.name}:${a.passwd}:${a.uid}:${a.gid}:${a.gecos}:${a.home}:${a.shell}`;
    const entry = shadow.entries.get(a.name);
    // the hash is where the system reads it: shadow when passwd says `x`, else the passwd field itself
    const hash = a.passwd === 'x' ? entry?.hash : a.passwd;
    const hashAt = a.passwd === 'x' ? (entry ? { path: '/etc/shadow', line: entry.line } : undefined) : { path: '/etc/passwd', line: a.line };
    const login = !NOLOGIN_SHELLS.test(a.shell) && a.shell !== '';
    const hasPassword = hash !== undefined && hash !== '' && !/^[!*]/.test(hash);
    const add = (rule: string, severity: Severity, title: string, reason: string, attack: string, at: { path: string; line?: number } = { path: '/etc/passwd', line: a.line }) =>
      c.add({
        rule: `privilege.${rule}`,
        key: instanceKey('privilege', at.path, `${rule} ${a.name}`),
        contentHash: contentHash(raw, String(hasPassword), String(login)),
        severity,
        title,
        path: at.path,
        line: at.line,
        user: a.name,
        // a hash is never shown: only whether the field is empty
        evidence: clip(at.path === '/etc/shadow' ? `${a.name}:${hash ? '<hash>' : ''}:${entry?.lastChange ?? ''}` : raw, 300),
        attack,
        reason,
        details: { uid: a.uid, home: a.home, shell: a.shell, login, hasPassword },
      });
    if (a.uid === 0 && a.name !== 'root') add('uid0', 'critical', `Second root account: ${a.name} has UID 0`, 'an account with UID 0 is root under another name', 'T1136.001');
    if (hash === '' && hashAt) {
      if (login) add('empty-password', expected.has(a.name) ? 'medium' : 'critical', `Account ${a.name} has an empty password and a login shell`, 'anyone can log in as this account without a password (where PAM allows nullok)', 'T1098', hashAt);
      else add('empty-password', 'medium', `Account ${a.name} has an empty password`, 'empty password field (no login shell)', 'T1098', hashAt);
    }
    if (hasPassword && login && a.uid !== 0) {
      const system = a.uid < 1000 || a.uid === 65534;
      const sev: Severity = expected.has(a.name) ? 'info' : system ? 'high' : 'low';
      add(
        'login-account',
        sev,
        system ? `System account ${a.name} has a password and a login shell` : `Login account ${a.name} (password and shell)`,
        system ? 'service accounts are created without a password or shell; this one was given both' : 'account that can log in with a password; with --baseline a new one shows as new',
        system ? 'T1098' : 'T1136.001',
      );
    }
    if (seen.length < 10_000) seen.push(a);
  };
  const file = await readLines(ctx.target, c, '/etc/passwd', { kind: 'passwd file', normal: NORMAL.accounts }, (raw, n) => {
    const p = passwdLine(raw, n);
    if (!p) return;
    if ('malformed' in p) {
      if (malformed.length < 100) malformed.push(p.malformed);
    } else judgeAccount(p.entry);
  });
  if (!file) return;
  stampMtime(c, '/etc/passwd', file.stat.mtime);
  if (shadow.mtime !== undefined) stampMtime(c, '/etc/shadow', shadow.mtime);
  for (const m of malformed) corruptLine(c, '/etc/passwd', m, file.stat.mtime);
  await recentChanges(ctx, c, seen, shadow);
}

/**
 * A password of root (or any uid-0 account) changed this week, or later than every other account's, and
 * login accounts created this week: shadow's last-change day, measured from the capture time offline.
 */
async function recentChanges(ctx: DetectorContext, c: Collector, list: Account[], shadow: ShadowView): Promise<void> {
  if (shadow.entries.size === 0) return;
  const capture = await ctx.facts.captureTime();
  const today = Math.floor(capture.ms / 86_400_000);
  const days = (a: Account) => (a.passwd === 'x' ? shadow.entries.get(a.name)?.lastChange : undefined);
  const others = list.filter((a) => a.uid !== 0).map(days).filter((d): d is number => d !== undefined && d > 0);
  const newestOther = others.length ? Math.max(...others) : undefined;
  for (const a of list) {
    const d = days(a);
    const entry = shadow.entries.get(a.name);
    if (d === undefined || d <= 0 || !entry) continue;
    const recent = today - d <= RECENT_DAYS;
    const base = { path: '/etc/shadow', line: entry.line };
    const when = `last change ${dayIso(d)}, ${recent ? `${Math.max(0, today - d)} days before ${capture.source.startsWith('now') ? 'now' : `the capture (${dayIso(today)}, ${capture.source})`}` : `later than every other account's (newest other ${dayIso(newestOther!)})`}`;
    const common = {
      key: instanceKey('privilege', '/etc/shadow', `${a.uid === 0 ? 'root-password' : 'new-account'} ${a.name}`),
      contentHash: contentHash(a.name, d),
      path: base.path,
      line: base.line,
      user: a.name,
      evidence: `${a.name}:<hash>:${d} (${dayIso(d)})`,
      ...(shadow.mtime !== undefined ? { mtime: isoFromEpochSeconds(shadow.mtime) } : {}),
      details: { uid: a.uid, lastChange: dayIso(d), capture: new Date(capture.ms).toISOString(), captureSource: capture.source },
    };
    if (a.uid === 0 && entry.kind !== 'locked' && entry.kind !== 'empty' && (recent || (newestOther !== undefined && d > newestOther))) {
      c.add({
        ...common,
        rule: 'privilege.root-password-changed',
        severity: 'medium',
        title: `Password of ${a.name} (UID 0) changed recently (${dayIso(d)})`,
        attack: 'T1098',
        reason: `${when}: whoever set it can log in as root wherever passwords are accepted (su, console, sshd with PermitRootLogin yes)`,
        remediation: `Ask who changed it (auth.log: passwd/chpasswd around ${dayIso(d)}); if nobody did, set a new password from a trusted session and look for how they got root.`,
      });
    } else if (a.uid !== 0 && recent && !NOLOGIN_SHELLS.test(a.shell) && a.shell !== '' && (a.uid >= 1000 || entry.kind !== 'locked') && !ctx.policy.expectedAccounts.includes(a.name)) {
      c.add({
        ...common,
        rule: 'privilege.new-login-account',
        severity: 'medium',
        title: `Login account ${a.name} created or given a password recently (${dayIso(d)})`,
        attack: 'T1136.001',
        reason: `${when}; a login account that appeared this week is how attackers keep a way in (useradd, then a key or a password)`,
        remediation: `Check who created ${a.name} (auth.log: useradd/usermod around ${dayIso(d)}); if unknown, lock it (usermod -L -e 1 ${a.name}) and preserve its home (ir collect).`,
      });
    }
  }
}

async function groups(ctx: DetectorContext, c: Collector): Promise<void> {
  const malformed: Malformed[] = [];
  const file = await readLines(ctx.target, c, '/etc/group', { kind: 'group file', normal: NORMAL.accounts }, (raw, n) => {
    const p = groupLine(raw, n);
    if (!p) return;
    if ('malformed' in p) {
      if (malformed.length < 100) malformed.push(p.malformed);
      return;
    }
    const g = p.entry;
    if (!PRIV_GROUPS.test(g.name)) return;
    for (const member of g.members) {
      const sev: Severity = g.name === 'root' || g.name === 'shadow' || g.name === 'disk' ? 'medium' : 'info';
      c.add({
        rule: 'privilege.group-member',
        key: instanceKey('privilege', '/etc/group', `${g.name} ${member}`),
        contentHash: contentHash(g.name, member),
        severity: sev,
        title: `${member} is in the privileged group ${g.name}`,
        path: '/etc/group',
        line: n,
        user: member,
        evidence: clip(g.raw, 300),
        attack: 'T1098',
        reason: `${g.name} membership gives root or root-equivalent access${g.name === 'docker' ? ' (the docker socket is root)' : ''}; with --baseline a new member shows as new`,
      });
    }
  });
  if (!file) return;
  stampMtime(c, '/etc/group', file.stat.mtime);
  for (const m of malformed) corruptLine(c, '/etc/group', m, file.stat.mtime);
}

export const privilege: Detector = {
  id: 'privilege',
  title: 'sudoers rules, UID 0 and login accounts, empty passwords, corrupt account lines, recent root password changes and new login accounts, privileged groups',
  category: 'privilege',
  attack: ['T1548.003', 'T1136.001', 'T1098'],
  locations: ['/etc/sudoers', '/etc/sudoers.d/*', '/etc/passwd', '/etc/shadow', '/etc/group'],
  async run(ctx) {
    const c = new Collector('privilege', 'privilege', ctx.target.name);
    await sudoers(ctx, c);
    await accounts(ctx, c);
    await groups(ctx, c);
    return c.result();
  },
};
