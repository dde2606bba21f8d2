import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { NOLOGIN_SHELLS } from '../facts.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf, provenance } from '../rules/judge-file.js';
import { readBounded } from './util.js';

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

/** sudoers(5) user specifications and Defaults, continuation lines joined; aliases and `#include` handled by the caller. */
export function parseSudoers(text: string): { rules: SudoRule[]; defaults: { line: number; raw: string }[]; includes: string[] } {
  const rules: SudoRule[] = [];
  const defaults: { line: number; raw: string }[] = [];
  const includes: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let l = lines[i]!.trim();
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + ' ' + lines[++i]!.trim();
    const inc = /^[#@]include(dir)?\s+(\S+)/.exec(l);
    if (inc) {
      includes.push(`${inc[1] ? 'dir:' : ''}${inc[2]}`);
      continue;
    }
    l = l.replace(/(^|\s)#.*$/, '').trim();
    if (!l) continue;
    if (/^Defaults\b/.test(l)) {
      defaults.push({ line: start, raw: l });
      continue;
    }
    if (/^(User|Runas|Host|Cmnd|Cmd)_Alias\b/.test(l)) continue;
    const m = /^(\S+)\s+[^=]+=\s*(\([^)]*\))?\s*(.*)$/.exec(l);
    if (!m) continue;
    const rest = m[3]!;
    const nopasswd = /\bNOPASSWD\s*:/.test(rest);
    const commands = rest
      .replace(/\b[A-Z_]+\s*:/g, '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    rules.push({ line: start, raw: l, who: m[1]!, runas: m[2] ?? '(root)', nopasswd, commands });
  }
  return { rules, defaults, includes };
}

async function sudoers(ctx: DetectorContext, c: Collector): Promise<void> {
  const files: string[] = ['/etc/sudoers'];
  const expected = new Set(ctx.policy.expectedAccounts);
  for (let i = 0; i < files.length && i < 64; i++) {
    const path = files[i]!;
    const file = await readBounded(ctx.target, c, path, 256 * 1024);
    if (!file) continue;
    c.examined++;
    const parsed = parseSudoers(file.text);
    for (const inc of parsed.includes) {
      if (inc.startsWith('dir:')) {
        // sudo skips names with a dot or ending in ~ inside an includedir
        for (const e of await entriesOf(c, ctx, inc.slice(4))) if (!/[.~]/.test(e.name) && e.stat.type !== 'dir') files.push(e.path);
      } else files.push(inc.startsWith('/') ? inc : posix.join('/etc', inc));
    }
    const prov = await provenance(ctx, path, file.stat, file.text);
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

async function accounts(ctx: DetectorContext, c: Collector): Promise<void> {
  const passwd = await readBounded(ctx.target, c, '/etc/passwd');
  if (!passwd) return;
  const shadowFile = await readBounded(ctx.target, c, '/etc/shadow');
  const shadow = new Map<string, string>();
  for (const l of shadowFile?.text.split('\n') ?? []) {
    const f = l.split(':');
    if (f.length >= 2 && f[0]) shadow.set(f[0], f[1]!);
  }
  const expected = new Set(ctx.policy.expectedAccounts);
  const mtime = isoFromEpochSeconds(passwd.stat.mtime);
  passwd.text.split('\n').forEach((raw, i) => {
    const f = raw.split(':');
    if (f.length < 7 || raw.startsWith('#')) return;
    c.examined++;
    const [name, pw, uidS, , , home, shell] = f as [string, string, string, string, string, string, string];
    const uid = Number(uidS);
    const hash = shadow.get(name) ?? (pw !== 'x' ? pw : undefined);
    const login = !NOLOGIN_SHELLS.test(shell) && shell !== '';
    const hasPassword = hash !== undefined && hash !== '' && !/^[!*]/.test(hash);
    const add = (rule: string, severity: Severity, title: string, reason: string, attack: string, path = '/etc/passwd') =>
      c.add({ rule: `privilege.${rule}`, key: instanceKey('privilege', path, `${rule} ${name}`), contentHash: contentHash(raw, String(hasPassword), String(login)), severity, title, path, line: path === '/etc/passwd' ? i + 1 : undefined, user: name, evidence: clip(raw, 300), attack, reason, mtime, details: { uid, home, shell, login, hasPassword } });
    if (uid === 0 && name !== 'root') add('uid0', 'critical', `Second root account: ${name} has UID 0`, 'an account with UID 0 is root under another name', 'T1136.001');
    if (hash === '' && login) add('empty-password', expected.has(name) ? 'medium' : 'critical', `Account ${name} has an empty password and a login shell`, 'anyone can log in as this account without a password (where PAM allows nullok)', 'T1098', '/etc/shadow');
    else if (hash === '') add('empty-password', 'medium', `Account ${name} has an empty password`, 'empty password field (no login shell)', 'T1098', '/etc/shadow');
    if (hasPassword && login && uid !== 0) {
      const system = uid < 1000 || uid === 65534;
      const sev: Severity = expected.has(name) ? 'info' : system ? 'high' : 'low';
      add(
        'login-account',
        sev,
        system ? `System account ${name} has a password and a login shell` : `Login account ${name} (password and shell)`,
        system ? 'service accounts are created without a password or shell; this one was given both' : 'account that can log in with a password; with --baseline a new one shows as new',
        system ? 'T1098' : 'T1136.001',
      );
    }
  });
}

async function groups(ctx: DetectorContext, c: Collector): Promise<void> {
  const file = await readBounded(ctx.target, c, '/etc/group');
  if (!file) return;
  for (const raw of file.text.split('\n')) {
    const f = raw.split(':');
    if (f.length < 4 || !PRIV_GROUPS.test(f[0]!)) continue;
    for (const member of f[3]!.split(',').filter(Boolean)) {
      const sev: Severity = f[0] === 'root' || f[0] === 'shadow' || f[0] === 'disk' ? 'medium' : 'info';
      c.add({
        rule: 'privilege.group-member',
        key: instanceKey('privilege', '/etc/group', `${f[0]} ${member}`),
        contentHash: contentHash(f[0], member),
        severity: sev,
        title: `${member} is in the privileged group ${f[0]}`,
        path: '/etc/group',
        user: member,
        evidence: clip(raw, 300),
        attack: 'T1098',
        reason: `${f[0]} membership gives root or root-equivalent access${f[0] === 'docker' ? ' (the docker socket is root)' : ''}; with --baseline a new member shows as new`,
        mtime: isoFromEpochSeconds(file.stat.mtime),
      });
    }
  }
}

export const privilege: Detector = {
  id: 'privilege',
  title: 'sudoers rules, UID 0 and login accounts, empty passwords, privileged groups',
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
