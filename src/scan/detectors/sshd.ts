import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { authorizedKeysTemplates, expandKeysPath, SSHD_DEFAULTS, type SshdConfig, type SshdDirective } from '../../host/facts/sshd.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { packageOwner } from '../facts-dpkg.js';
import { judgeCommand } from '../rules/config-commands.js';
import { judgeScriptFile, provenance } from '../rules/judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir, programOf, raise } from '../rules/location.js';
import { homes } from '../rules/startup-files.js';
import { parseAuthorizedKey } from '../ssh-keys.js';
import { DEFAULT_KEY_FILES } from './authorized-keys.js';
import { NORMAL, readLines, streamFile } from './util.js';

/**
 * sshd settings that keep a door open (issue 19, "SSH"): what an attacker changes in sshd_config so that
 * a way in survives a password reset and a key clean-up. The sweep judges some of the same settings as
 * hygiene; here each is judged as persistence, with the file and line that set it.
 */

/** How much PermitRootLogin lets root in, for comparing a Match block with the global value. */
const ROOT_LOGIN_RANK: Record<string, number> = { no: 0, 'forced-commands-only': 1, 'prohibit-password': 2, 'without-password': 2, yes: 3 };
/** Settings whose value is a file or a command that hands out logins. */
const KEY_SOURCES = ['authorizedkeyscommand', 'authorizedprincipalsfile', 'authorizedprincipalscommand', 'trustedusercakeys'] as const;
const SOURCE_RULE: Record<(typeof KEY_SOURCES)[number], string> = {
  authorizedkeyscommand: 'authorized-keys-command',
  authorizedprincipalsfile: 'principals-file',
  authorizedprincipalscommand: 'principals-command',
  trustedusercakeys: 'trusted-user-ca',
};
/** Environment variables that run code in the session (LD_PRELOAD for every program, BASH_ENV for every script). */
const DANGEROUS_ENV = /^\s*(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|PYTHONSTARTUP|PERL5OPT|NODE_OPTIONS)\s*=/;

const unset = (v: string | undefined): boolean => v === undefined || v.toLowerCase() === 'none';

/** The effective global value: sshd -T prints every keyword; a file only what it sets (the rest is sshd's default). */
function effective(cfg: SshdConfig, key: string): string | undefined {
  return cfg.global.get(key) ?? SSHD_DEFAULTS[key];
}

/** Where a global keyword was set: the first directive outside a Match block (sshd takes the first), else the config file. */
function where(cfg: SshdConfig, key: string): { path: string; line?: number; raw?: string } {
  const d = cfg.directives.find((x) => x.key === key && x.match === undefined);
  return d ? { path: d.file, line: d.line, raw: `${d.key} ${d.value}` } : { path: cfg.file };
}

/** A path where someone other than root can put a file: then it is a door anyone can open. */
function writableSpot(path: string): string | undefined {
  if (inWorldWritableDir(path)) return 'in a world-writable directory';
  const hidden = hiddenComponent(path);
  if (hidden) return `in a hidden file or directory (${hidden})`;
  if (inHomeDir(path) && !/%[uhU]/.test(path)) return 'in a home directory';
  return undefined;
}

interface DoorOpts {
  rule: string;
  severity: Severity;
  title: string;
  at: { path: string; line?: number; raw?: string };
  attack: string;
  reason: string[];
  remediation: string;
  details?: Record<string, unknown>;
}

/** One finding per door; a package's unchanged file is never above low (our rule's mistake, not an intrusion). */
async function door(ctx: DetectorContext, c: Collector, d: DoorOpts): Promise<void> {
  const st = await ctx.target.stat(d.at.path).catch(() => null);
  let severity = d.severity;
  const reason = [...d.reason];
  if (st) {
    const prov = await provenance(ctx, d.at.path, st);
    if (prov.pristine && severityRank(severity) > severityRank('low')) severity = 'low';
    reason.push(...prov.notes.filter((n) => !/^not shipped/.test(n)));
  }
  c.add({
    rule: `sshd.${d.rule}`,
    key: instanceKey('sshd', d.at.path, `${d.rule} ${d.at.raw ?? ''}`),
    contentHash: contentHash(d.at.raw ?? d.title, severity),
    severity,
    title: d.title,
    path: d.at.path,
    line: d.at.line,
    user: 'root',
    evidence: clip(d.at.raw ?? d.at.path, 400),
    attack: d.attack,
    reason: reason.join('; '),
    remediation: d.remediation,
    mtime: st ? isoFromEpochSeconds(st.mtime) : undefined,
    details: d.details,
  });
}

/** root's way in: keys in any key file sshd reads for root, and a password hash that works. */
async function rootCredentials(ctx: DetectorContext, cfgs: SshdConfig[]): Promise<{ keys: string[]; password: boolean | undefined }> {
  const root = (await ctx.facts.accounts()).find((a) => a.uid === 0 && a.name === 'root') ?? { name: 'root', uid: 0, home: '/root' };
  const keys: string[] = [];
  for (const tpl of new Set([...authorizedKeysTemplates(cfgs), ...DEFAULT_KEY_FILES])) {
    const path = expandKeysPath(tpl, root);
    let n = 0;
    await streamFile(ctx.target, path, (raw) => {
      const l = raw.trim();
      if (!l || l.startsWith('#')) return;
      try {
        parseAuthorizedKey(l);
        n++;
      } catch {
        /* not a key: authorized-keys warns about it */
      }
    }).catch(() => null);
    if (n) keys.push(`${n} in ${path}`);
  }
  let password: boolean | undefined;
  try {
    const shadow = await ctx.facts.shadow();
    const e = shadow?.get('root');
    // an empty password does not open sshd (PermitEmptyPasswords no): privilege reports it
    password = e ? !['locked', 'empty'].includes(e.kind) : false;
  } catch {
    password = undefined;
  }
  return { keys, password };
}

async function permitRootLogin(ctx: DetectorContext, c: Collector, cfg: SshdConfig, cfgs: SshdConfig[]): Promise<void> {
  if ((effective(cfg, 'permitrootlogin') ?? '').toLowerCase() !== 'yes') return;
  const cred = await rootCredentials(ctx, cfgs);
  const pwKeys = ['passwordauthentication', 'kbdinteractiveauthentication'];
  // passwords accepted globally, or for the connections of a Match block (the door may be open to one network only)
  const passwordMatch = cfg.matches.find((m) => pwKeys.some((k) => m.options.get(k)?.toLowerCase() === 'yes'));
  const passwords = pwKeys.some((k) => (effective(cfg, k) ?? 'yes').toLowerCase() === 'yes') || Boolean(passwordMatch);
  let severity: Severity = 'low';
  const reason = ['PermitRootLogin yes lets root log in over SSH with any method, passwords included'];
  if (cred.password && passwords) {
    severity = 'high';
    reason.push(`root has a password and sshd accepts passwords${passwordMatch && !pwKeys.some((k) => (effective(cfg, k) ?? 'yes').toLowerCase() === 'yes') ? ` from connections matching "${passwordMatch.criteria}"` : ''}: anyone who learns or sets it is in as root`);
  } else if (cred.keys.length) {
    severity = 'medium';
    reason.push(`root has keys (${cred.keys.join(', ')}), and a password works the moment one is set`);
  } else reason.push(cred.password === undefined ? "root's password could not be checked (/etc/shadow unreadable)" : 'root has neither keys nor a password now: the door is open, nobody has walked in yet');
  reason.push('the sweep judges the same setting as hygiene (IR-SSH-001)');
  await door(ctx, c, {
    rule: 'permit-root-login',
    severity,
    title: `sshd lets root log in with any method (PermitRootLogin yes; sweep check IR-SSH-001)`,
    at: { ...where(cfg, 'permitrootlogin'), raw: where(cfg, 'permitrootlogin').raw ?? `permitrootlogin yes (sshd -T -f ${cfg.file})` },
    attack: 'T1021.004',
    reason,
    remediation: 'Set "PermitRootLogin prohibit-password" (or no) in sshd_config and every Match block, check root\'s keys and password, then `sshd -t && systemctl reload ssh`.',
    details: { sweepCheck: 'IR-SSH-001', rootKeys: cred.keys, rootPassword: cred.password },
  });
}

/** AuthorizedKeysFile that names more than the defaults: the directive itself (the keys are authorized-keys' findings). */
async function keysFile(ctx: DetectorContext, c: Collector, cfg: SshdConfig): Promise<void> {
  const value = effective(cfg, 'authorizedkeysfile');
  if (unset(value)) return;
  const extra = value!.split(/\s+/).filter((p) => !DEFAULT_KEY_FILES.includes(p));
  if (extra.length === 0) return;
  let severity: Severity = 'low';
  const reason = [`sshd also accepts keys from ${extra.join(', ')}: keys there are as good as authorized_keys, and admins rarely look there`];
  for (const p of extra) {
    const spot = p.startsWith('/') ? writableSpot(p) : undefined;
    if (spot) {
      severity = 'high';
      reason.push(`${p} is ${spot}: anyone who can create it there can log in`);
    } else if (p.startsWith('/') && !/%[uhU]/.test(p)) {
      severity = maxSeverity(severity, 'medium');
      reason.push(`${p} is one file for every account: a key there logs in as anyone`);
    } else if (!p.startsWith('/')) {
      severity = maxSeverity(severity, 'medium');
      reason.push(`${p} is a second key file inside every home directory`);
    }
  }
  if (severity !== 'low' && (effective(cfg, 'strictmodes') ?? 'yes').toLowerCase() === 'no') reason.push('StrictModes no: sshd does not check who owns the key files');
  await door(ctx, c, {
    rule: 'authorized-keys-file',
    severity,
    title: `AuthorizedKeysFile names key files besides ~/.ssh/authorized_keys: ${extra.join(' ')}`,
    at: { ...where(cfg, 'authorizedkeysfile'), raw: where(cfg, 'authorizedkeysfile').raw ?? `authorizedkeysfile ${value}` },
    attack: 'T1098.004',
    reason,
    remediation: `Check every file ${extra.join(', ')} expands to (ir persistence-scan --only authorized-keys lists their keys); if the directive is not yours, restore "AuthorizedKeysFile .ssh/authorized_keys" and reload sshd.`,
    details: { templates: extra },
  });
}

/** A program sshd runs for a login: judged by the command rules, its place and whether a package ships it. */
async function judgeProgram(ctx: DetectorContext, command: string): Promise<{ severity: Severity; reasons: string[] }> {
  const reasons: string[] = [];
  let severity: Severity = 'info';
  for (const s of judgeCommand(command)) {
    severity = maxSeverity(severity, s.severity);
    reasons.push(s.reason);
  }
  const prog = programOf(command);
  if (prog) {
    const owner = await packageOwner(ctx.facts, prog);
    if (owner === null) {
      severity = maxSeverity(severity, 'high');
      reasons.push(`${prog} is not shipped by any package`);
    } else if (owner) reasons.push(`${prog} is shipped by ${owner}`);
  }
  return { severity, reasons };
}

async function keySources(ctx: DetectorContext, c: Collector, cfg: SshdConfig): Promise<void> {
  for (const key of KEY_SOURCES) {
    const value = effective(cfg, key);
    if (unset(value)) continue;
    const at = { ...where(cfg, key), raw: where(cfg, key).raw ?? `${key} ${value}` };
    let severity: Severity = 'medium';
    const reason: string[] = [];
    if (key === 'authorizedkeyscommand' || key === 'authorizedprincipalscommand') {
      const user = effective(cfg, `${key}user`);
      const j = await judgeProgram(ctx, value!);
      severity = maxSeverity(severity, j.severity);
      if (j.reasons.some((r) => /shipped by/.test(r) && !/not shipped/.test(r)) && j.severity === 'info') severity = 'low';
      reason.push(`sshd runs ${value} (as ${unset(user) ? '?' : user}) at every login and accepts whatever ${key === 'authorizedkeyscommand' ? 'keys' : 'principals'} it prints`, ...j.reasons);
    } else {
      const spot = writableSpot(value!);
      if (spot) severity = 'high';
      reason.push(key === 'trustedusercakeys' ? `any user certificate signed by a CA key in ${value} logs in, as any account whose name is among its principals` : `certificate principals for each account come from ${value}`);
      if (spot) reason.push(`${value} is ${spot}`);
    }
    await door(ctx, c, {
      rule: SOURCE_RULE[key],
      severity,
      title: `sshd takes logins from ${value} (${at.raw!.split(/\s+/)[0]})`,
      at,
      attack: key.endsWith('command') ? 'T1556' : 'T1098.004',
      reason,
      remediation: `If nobody set it up on purpose (sssd, EC2 Instance Connect and a user CA do), preserve ${at.path} and what it names (ir collect), remove the line and reload sshd.`,
      details: { keyword: key, value },
    });
  }
}

async function forceCommand(ctx: DetectorContext, c: Collector, cfg: SshdConfig): Promise<void> {
  const value = effective(cfg, 'forcecommand');
  if (unset(value) || value === 'internal-sftp') return;
  const j = await judgeProgram(ctx, value!);
  await door(ctx, c, {
    rule: 'force-command',
    severity: maxSeverity('medium', j.severity),
    title: `Every SSH login runs ${clip(value!, 80)} (ForceCommand)`,
    at: { ...where(cfg, 'forcecommand'), raw: where(cfg, 'forcecommand').raw ?? `forcecommand ${value}` },
    attack: 'T1546',
    reason: ['ForceCommand runs this for every login instead of what the user asked for: a wrapper there sees every session and every command', ...j.reasons],
    remediation: 'Read what the command does; if it is not yours, preserve it (ir collect), remove the line and reload sshd.',
  });
}

/** Match options that give some connections more than the global settings. */
async function matchGrants(ctx: DetectorContext, c: Collector, cfg: SshdConfig): Promise<void> {
  for (const m of cfg.matches) {
    const grants: { severity: Severity; why: string; d?: SshdDirective }[] = [];
    const dir = (key: string) => cfg.directives.find((d) => d.key === key && d.match === m.criteria && (m.line === undefined || d.line > m.line || d.file !== m.file));
    for (const [key, value] of m.options) {
      const v = value.toLowerCase();
      const g = (effective(cfg, key) ?? '').toLowerCase();
      const add = (severity: Severity, why: string) => grants.push({ severity, why, d: dir(key) });
      if (key === 'permitrootlogin' && (ROOT_LOGIN_RANK[v] ?? 0) > (ROOT_LOGIN_RANK[g] ?? 2)) add(v === 'yes' ? 'high' : 'medium', `PermitRootLogin ${value} (global ${g || 'default'})`);
      else if ((key === 'passwordauthentication' || key === 'kbdinteractiveauthentication') && v === 'yes' && g === 'no') add('medium', `${key === 'passwordauthentication' ? 'PasswordAuthentication' : 'KbdInteractiveAuthentication'} yes (global no)`);
      else if (key === 'permitemptypasswords' && v === 'yes') add('high', 'PermitEmptyPasswords yes');
      else if (key === 'authorizedkeysfile' && value !== effective(cfg, key)) add('medium', `AuthorizedKeysFile ${value}`);
      else if ((KEY_SOURCES as readonly string[]).includes(key) && !unset(value)) add('medium', `${key} ${value}`);
      else if (key === 'permituserenvironment' && v !== 'no') add('medium', `PermitUserEnvironment ${value}`);
      else if (key === 'forcecommand' && v !== 'internal-sftp') {
        const j = await judgeProgram(ctx, value);
        if (severityRank(j.severity) >= severityRank('medium')) add(j.severity, `ForceCommand ${value}: ${j.reasons.join(', ')}`);
      } else if (['allowtcpforwarding', 'gatewayports', 'permittunnel', 'allowagentforwarding', 'allowstreamlocalforwarding'].includes(key) && v !== 'no' && g === 'no') add('low', `${key} ${value} (global no): tunnels for these connections`);
      else if (key === 'pubkeyauthentication' && v === 'yes' && g === 'no') add('low', 'PubkeyAuthentication yes (global no)');
    }
    if (grants.length === 0) continue;
    const severity = grants.reduce<Severity>((s, g) => maxSeverity(s, g.severity), 'info');
    await door(ctx, c, {
      rule: 'match-grants',
      severity,
      title: `Match ${clip(m.criteria, 80)} grants more than the global settings: ${grants.map((g) => g.why.split(' (')[0]).join(', ')}`,
      at: { path: m.file ?? cfg.file, line: m.line, raw: `Match ${m.criteria}: ${grants.map((g) => g.why).join('; ')}` },
      attack: 'T1021.004',
      reason: [`connections that match "${m.criteria}" get: ${grants.map((g) => g.why).join('; ')}`, 'a Match block at the end of a config is where a door for one address or user hides'],
      remediation: `Check the block with sshd -T -C user=root,host=x,addr=ADDRESS; if it is not yours, remove it and reload sshd.`,
      details: { criteria: m.criteria, grants: grants.map((g) => ({ what: g.why, line: g.d?.line, file: g.d?.file })) },
    });
  }
}

/** PermitUserEnvironment: ~/.ssh/environment then sets variables for every login of that account. */
async function userEnvironment(ctx: DetectorContext, c: Collector, cfg: SshdConfig): Promise<void> {
  const value = (effective(cfg, 'permituserenvironment') ?? 'no').toLowerCase();
  if (value === 'no') return;
  const at = { ...where(cfg, 'permituserenvironment'), raw: where(cfg, 'permituserenvironment').raw ?? `permituserenvironment ${value}` };
  const files: string[] = [];
  for (const h of await homes(ctx)) {
    const path = posix.join(h.home, '.ssh/environment');
    const vars: { line: number; raw: string }[] = [];
    const f = await readLines(ctx.target, c, path, { kind: 'SSH user environment', normal: NORMAL.list }, (raw, n) => {
      if (raw.trim() && !raw.trim().startsWith('#') && vars.length < 100) vars.push({ line: n, raw: raw.trim() });
    });
    if (!f) continue;
    c.examined++;
    files.push(path);
    const bad = vars.find((v) => DANGEROUS_ENV.test(v.raw));
    c.add({
      rule: 'sshd.user-environment',
      key: instanceKey('sshd', path, 'environment'),
      contentHash: f.hash,
      severity: bad ? 'high' : 'medium',
      title: `~/.ssh/environment of ${h.user} sets ${vars.length} variable${vars.length === 1 ? '' : 's'} for every login (PermitUserEnvironment ${value})`,
      path,
      line: bad?.line ?? vars[0]?.line,
      user: h.user,
      evidence: clip(bad?.raw ?? vars[0]?.raw ?? path, 300),
      attack: bad && /LD_/.test(bad.raw) ? 'T1574.006' : 'T1546',
      reason: [`sshd reads it because ${at.path}${at.line ? `:${at.line}` : ''} permits it`, ...(bad ? [`${bad.raw.split('=')[0]} runs code in every program or shell of the session`] : [])].join('; '),
      remediation: `Preserve ${path} (ir collect), remove it, and set "PermitUserEnvironment no" unless something needs it.`,
      mtime: isoFromEpochSeconds(f.stat.mtime),
      details: { variables: vars.map((v) => clip(v.raw, 200)) },
    });
  }
  await door(ctx, c, {
    rule: 'permit-user-environment',
    severity: files.length ? 'medium' : 'low',
    title: `sshd lets users set environment variables at login (PermitUserEnvironment ${value})`,
    at,
    attack: 'T1546',
    reason: ['~/.ssh/environment and environment= in authorized_keys then set LD_PRELOAD or BASH_ENV for every login of the account', files.length ? `in use: ${files.join(', ')}` : 'no ~/.ssh/environment found now'],
    remediation: 'Set "PermitUserEnvironment no" (the default) and reload sshd.',
  });
}

/** ~/.ssh/rc and /etc/ssh/sshrc: sshd runs them at every login, before the shell. */
async function rcFiles(ctx: DetectorContext, c: Collector, cfgs: SshdConfig[]): Promise<void> {
  const userRc = cfgs.every((cfg) => (effective(cfg, 'permituserrc') ?? 'yes').toLowerCase() !== 'no');
  const rc = (path: string, kind: string, base: Severity, runs: string) => judgeScriptFile(ctx, c, path, { detector: 'sshd', attack: 'T1546', kind, unownedBase: base, presentBase: base, runs });
  // one request per home, sent together (over ssh they share the round trips)
  const logins = (await homes(ctx)).filter((h) => h.login || h.uid === 0);
  await Promise.all([
    rc('/etc/ssh/sshrc', 'sshrc', 'medium', 'sshd runs it with /bin/sh at every login of every account without its own ~/.ssh/rc'),
    ...logins.map((h) =>
      rc(posix.join(h.home, '.ssh/rc'), `~/.ssh/rc of ${h.user}`, userRc ? 'medium' : 'low', userRc ? `sshd runs it at every login of ${h.user}, before the shell (X11 and agent setups use it; attackers too)` : 'PermitUserRC no: sshd does not run it now'),
    ),
  ]);
}

export const sshd: Detector = {
  id: 'sshd',
  title: 'sshd settings that keep a door open: PermitRootLogin yes, extra key files, key and principal commands, user CAs, ForceCommand, Match blocks that grant more, user environment, ssh rc files',
  category: 'persistence',
  attack: ['T1098.004', 'T1021.004', 'T1556', 'T1546'],
  locations: ['sshd -T -f CONFIG of each running sshd', '/etc/ssh/sshd_config /etc/ssh/sshd_config.d/* (+ Include, Match)', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (the running sshd)', '~/.ssh/environment', '~/.ssh/rc', '/etc/ssh/sshrc'],
  async run(ctx) {
    const c = new Collector('sshd', 'persistence', ctx.target.name);
    let cfgs: SshdConfig[] = [];
    try {
      cfgs = await ctx.facts.sshd();
    } catch (err) {
      c.error(`sshd configuration: ${(err as Error).message}`);
    }
    for (const cfg of cfgs) {
      c.examined += Math.max(1, cfg.files.length);
      // a line sshd would refuse is input read but not understood: the doors behind it were not judged
      for (const p of cfg.problems) c.error(p.message.replace(/^\S+ line (\d+): /, 'line $1: '), p.path);
      await permitRootLogin(ctx, c, cfg, cfgs);
      await keysFile(ctx, c, cfg);
      await keySources(ctx, c, cfg);
      await forceCommand(ctx, c, cfg);
      await matchGrants(ctx, c, cfg);
      await userEnvironment(ctx, c, cfg);
    }
    await rcFiles(ctx, c, cfgs);
    // a raise for a writable config: anyone in its group can open any of these doors
    for (const f of c.findings) if (f.path && /sshd_config/.test(f.path)) {
      const st = await ctx.target.stat(f.path).catch(() => null);
      if (st && (st.mode & 0o022) !== 0) {
        f.severity = raise(f.severity, 1, 'high');
        f.reason += `; ${f.path} is writable by group or others (mode ${st.mode.toString(8)})`;
      }
    }
    return c.result();
  },
};
