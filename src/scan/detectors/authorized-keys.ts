import { Collector, type Detector } from '../detector.js';
import { Facts } from '../facts.js';
import { NOLOGIN_SHELLS } from '../facts.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { parseAuthorizedKey } from '../ssh-keys.js';
import { authorizedKeysTemplates, expandKeysPath, SSHD_DEFAULTS } from '../../host/facts/sshd.js';
import { clip } from '../../core/escape.js';
import { NORMAL, readLines, stampMtime } from './util.js';

/** The key files sshd reads when AuthorizedKeysFile is not set. */
export const DEFAULT_KEY_FILES = SSHD_DEFAULTS.authorizedkeysfile!.split(' ');
/** A forced command that is itself a shell or an interpreter (no restriction). */
const SHELL_COMMAND = /^(\S*\/)?(ba|da|z|k|c|tc|fi)?sh\b|^(\S*\/)?(python[\d.]*|perl|ruby|php[\d.]*|node|lua|busybox)\b/;
/** Bad key lines warned about per file; the rest are counted. */
const BAD_LINES_SHOWN = 20;

export const authorizedKeys: Detector = {
  id: 'authorized-keys',
  title: "SSH authorized keys of every account, at every path sshd's AuthorizedKeysFile names",
  category: 'account',
  attack: ['T1098.004'],
  locations: ['~/.ssh/authorized_keys', '~/.ssh/authorized_keys2', '/etc/ssh/sshd_config /etc/ssh/sshd_config.d/* (AuthorizedKeysFile of sshd -T, -f of each running sshd, or sshd_config with Include and Match)', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (the running sshd)'],
  async run({ target, policy, facts }) {
    const c = new Collector('authorized-keys', 'account', target.name);
    let cfgs: Awaited<ReturnType<typeof facts.sshd>> = [];
    try {
      cfgs = await facts.sshd();
    } catch (e) {
      c.error(`sshd configuration: ${(e as Error).message}`);
    }
    for (const cfg of cfgs) for (const w of cfg.warnings) c.warn(w, cfg.file);
    const templates = authorizedKeysTemplates(cfgs);
    // the default names are always looked at: a key planted in authorized_keys2 stays a finding even where sshd ignores it
    for (const t of DEFAULT_KEY_FILES) if (!templates.includes(t)) templates.push(t);
    const accounts = await facts.accounts();
    const seen = new Map<string, string[]>(); // fingerprint -> accounts
    const files = new Set<string>();
    for (const a of accounts) {
      if (!a.home || a.home === '/nonexistent') continue;
      for (const tpl of templates) {
        const path = expandKeysPath(tpl, a);
        if (files.has(`${a.name}\0${path}`)) continue;
        files.add(`${a.name}\0${path}`);
        // keys in a file that only a changed AuthorizedKeysFile names: sshd reads them, admins rarely look there
        const elsewhere = !DEFAULT_KEY_FILES.includes(tpl);
        let bad = 0;
        const file = await readLines(target, c, path, { kind: 'authorized_keys file', normal: NORMAL.keys }, (raw, lineNo) => {
          const line = raw.trim();
          if (!line || line.startsWith('#')) return;
          let key;
          try {
            key = parseAuthorizedKey(line);
          } catch (err) {
            if (++bad <= BAD_LINES_SHOWN) c.warn(`line ${lineNo}: ${(err as Error).message}: ${clip(line, 120)}`, path);
            return;
          }
          seen.set(key.fingerprint, [...(seen.get(key.fingerprint) ?? []), a.name]);
          const trusted = policy.trustedKeys.includes(key.fingerprint);
          const reasons: string[] = [];
          let severity: Severity = 'info';
          const rise = (s: Severity, why: string) => {
            severity = maxSeverity(severity, s);
            reasons.push(why);
          };
          const system = Facts.isSystemAccount(a);
          const cmd = key.options.command;
          const cmdSignals = typeof cmd === 'string' ? classifyCommand(cmd) : [];
          // a service account limited to one harmless forced command (rsync for backups) is a common, deliberate setup;
          // a forced shell or interpreter is no limit at all
          const restricted = typeof cmd === 'string' && cmdSignals.length === 0 && !SHELL_COMMAND.test(cmd.trim());
          if (a.uid === 0) rise(trusted ? 'info' : 'medium', `grants a root login${a.name !== 'root' ? ` (account ${a.name} has uid 0)` : ''}`);
          if (system && a.uid !== 0) {
            if (restricted) rise('low', `system account ${a.name} (uid ${a.uid}) accepts a key restricted to a forced command`);
            else rise('high', `system account ${a.name} (uid ${a.uid}) should not accept SSH keys`);
          }
          if (NOLOGIN_SHELLS.test(a.shell) && a.uid !== 0 && !restricted) rise('medium', `account's shell is ${a.shell}`);
          if (path.endsWith('/authorized_keys2')) rise('medium', 'in authorized_keys2, a deprecated file attackers use because admins forget it');
          if (elsewhere) {
            if (restricted) rise('low', `in ${path}, named by a changed AuthorizedKeysFile (${tpl}); limited to a forced command`);
            else rise('medium', `in ${path}, named by a changed AuthorizedKeysFile (${tpl}): sshd reads it, admins rarely look there`);
          }
          if (!trusted && policy.trustedKeys.length > 0) rise('medium', "not in the policy's trusted keys");
          for (const sig of cmdSignals) rise(sig.severity, `forced command: ${sig.reason}`);
          if (key.options.environment) rise('medium', 'sets environment variables (environment=)');
          if (key.type.startsWith('ssh-dss') || (key.type === 'ssh-rsa' && (key.bits ?? 0) < 2048)) rise('low', `weak key (${key.type}, ${key.bits ?? '?'} bits)`);
          c.add({
            rule: severity === 'info' ? 'authorized-keys.key' : reasons.length && system && a.uid !== 0 ? 'authorized-keys.system-account' : a.uid === 0 ? 'authorized-keys.root' : 'authorized-keys.suspicious',
            key: instanceKey('authorized-keys', `${a.name}:${path}`, key.fingerprint),
            contentHash: contentHash(line),
            severity,
            title: `SSH key for ${a.name}: ${key.fingerprint}${key.comment ? ` (${key.comment})` : ''}`,
            path,
            line: lineNo,
            user: a.name,
            evidence: line.length > 600 ? line.slice(0, 600) + '…' : line,
            attack: 'T1098.004',
            reason: reasons.join('; ') || (trusted ? 'trusted key (policy)' : 'authorized key (inventory)'),
            remediation: severity !== 'info' ? `Check who owns ${key.fingerprint}; if unknown, preserve ${path} (ir collect) and remove the line.` : undefined,
            details: { type: key.type, fingerprint: key.fingerprint, bits: key.bits, comment: key.comment, options: key.options, ...(elsewhere ? { template: tpl } : {}) },
          });
        });
        if (!file) continue;
        c.examined++;
        if (bad > BAD_LINES_SHOWN) c.warn(`${bad - BAD_LINES_SHOWN} more lines that are not keys`, path);
        stampMtime(c, path, file.stat.mtime);
      }
    }
    // the same key on several accounts: one person (or attacker) reaches all of them
    for (const f of c.findings) {
      const fp = (f.details as { fingerprint: string }).fingerprint;
      const on = seen.get(fp) ?? [];
      if (on.length > 1) (f.details as Record<string, unknown>).alsoOn = on.filter((n) => n !== f.user);
    }
    return c.result();
  },
};
