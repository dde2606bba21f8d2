import { Collector, type Detector } from '../detector.js';
import { Facts } from '../facts.js';
import { NOLOGIN_SHELLS } from '../facts.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { parseAuthorizedKey } from '../ssh-keys.js';
import { authorizedKeysTemplates, expandKeysPath, sshdConfigs } from '../sshd.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { clip } from '../../core/escape.js';
import { readBounded } from './util.js';

export const authorizedKeys: Detector = {
  id: 'authorized-keys',
  title: "SSH authorized keys of every account, at every path sshd's AuthorizedKeysFile names",
  category: 'account',
  attack: ['T1098.004'],
  locations: ['~/.ssh/authorized_keys', '~/.ssh/authorized_keys2', '/etc/ssh/sshd_config /etc/ssh/sshd_config.d/* (AuthorizedKeysFile of sshd -T, -f of each running sshd, or sshd_config with Include and Match)', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (the running sshd)'],
  async run({ target, policy, facts }) {
    const c = new Collector('authorized-keys', 'account', target.name);
    const cfgs = await sshdConfigs(target).catch((e: Error) => (c.warn(`sshd configuration: ${e.message}`), []));
    for (const cfg of cfgs) for (const w of cfg.warnings) c.warn(w, cfg.file);
    const templates = authorizedKeysTemplates(cfgs);
    // the default names are always looked at: a key planted in authorized_keys2 stays a finding even where sshd ignores it
    for (const t of ['.ssh/authorized_keys', '.ssh/authorized_keys2']) if (!templates.includes(t)) templates.push(t);
    const accounts = await facts.accounts();
    const seen = new Map<string, string[]>(); // fingerprint -> accounts
    const files = new Set<string>();
    for (const a of accounts) {
      if (!a.home || a.home === '/nonexistent') continue;
      for (const tpl of templates) {
        const path = expandKeysPath(tpl, a);
        if (files.has(`${a.name}\0${path}`)) continue;
        files.add(`${a.name}\0${path}`);
        const file = await readBounded(target, c, path);
        if (!file) continue;
        c.examined++;
        file.text.split('\n').forEach((raw, i) => {
          const line = raw.trim();
          if (!line || line.startsWith('#')) return;
          let key;
          try {
            key = parseAuthorizedKey(line);
          } catch (err) {
            c.warn(`line ${i + 1}: ${(err as Error).message}: ${clip(line, 120)}`, path);
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
          // a service account limited to one harmless forced command (rsync for backups) is a common, deliberate setup
          const restricted = typeof cmd === 'string' && cmdSignals.length === 0;
          if (a.uid === 0) rise(trusted ? 'info' : 'medium', `grants a root login${a.name !== 'root' ? ` (account ${a.name} has uid 0)` : ''}`);
          if (system && a.uid !== 0) {
            if (restricted) rise('low', `system account ${a.name} (uid ${a.uid}) accepts a key restricted to a forced command`);
            else rise('high', `system account ${a.name} (uid ${a.uid}) should not accept SSH keys`);
          }
          if (NOLOGIN_SHELLS.test(a.shell) && a.uid !== 0 && !restricted) rise('medium', `account's shell is ${a.shell}`);
          if (path.endsWith('/authorized_keys2')) rise('medium', 'in authorized_keys2, a deprecated file attackers use because admins forget it');
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
            line: i + 1,
            user: a.name,
            evidence: line.length > 600 ? line.slice(0, 600) + '…' : line,
            attack: 'T1098.004',
            reason: reasons.join('; ') || (trusted ? 'trusted key (policy)' : 'authorized key (inventory)'),
            remediation: severity !== 'info' ? `Check who owns ${key.fingerprint}; if unknown, preserve ${path} (ir collect) and remove the line.` : undefined,
            mtime: isoFromEpochSeconds(file.stat.mtime),
            details: { type: key.type, fingerprint: key.fingerprint, bits: key.bits, comment: key.comment, options: key.options },
          });
        });
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
