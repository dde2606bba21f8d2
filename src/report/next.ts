import { join } from 'node:path';
import { severityRank } from '../core/finding.js';
import { shellLine } from '../core/shell.js';
import { hostCommands, type HostCommands } from './commands.js';
import type { Facts, NextStep, ReportFinding } from './model.js';

/**
 * "What to do next", derived from the findings and ordered by urgency: stop the intruder (lock the
 * account, ban the address, isolate), keep the evidence, remove what was planted, rotate what was
 * exposed, check again, then bring things back and fix the hygiene. Each step names the finding that
 * calls for it and gives the exact commands for the host the case ran on (hostCommands).
 */

/** Persistence kept one entry per line: removing the line removes the entry. */
const LINE_DETECTORS = new Set(['cron', 'authorized-keys', 'ld-preload', 'shell-startup']);

const WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const num = (n: number): string => WORDS[n] ?? String(n);

const ref = (f: ReportFinding): string => `${f.source}: ${f.title}${f.where ? ` (${f.where})` : ''}`;
const onLive = (c: HostCommands): string => (c.kind === 'image' ? ' Run it on the machine this image comes from.' : '');

interface Ctx {
  facts: Facts;
  hc: (host: string) => HostCommands;
  /** " on web1" in a fleet; nothing for one host, where the host is the case's */
  on: (host: string) => string;
}

function lockSteps({ facts, hc, on }: Ctx): NextStep[] {
  const out: NextStep[] = [];
  const seen = new Set<string>();
  for (const b of facts.breakIns) {
    if (seen.has(`${b.host}\0${b.user}`)) continue;
    seen.add(`${b.host}\0${b.user}`);
    const c = hc(b.host);
    const alert = facts.findings.find((f) => f.host === b.host && f.source.startsWith('auth-review/') && f.user === b.user && f.ip === b.ip && f.severity === 'critical');
    out.push({
      title: `Lock ${b.user}'s account${on(b.host)} and end its sessions`,
      why: `${b.user} logged in from ${b.ip} after ${b.failures} failed attempts from that address: treat the account as the attacker's until its password and keys are replaced. Not the account you are logged in with: lock it from another one.`,
      ...(alert ? { finding: ref(alert) } : { finding: `auth-review: ${b.user} logged in from ${b.ip} after a brute force` }),
      commands: c.kind === 'image' ? [c.root(['usermod', '--prefix', c.path('.'), '--lock', '--expiredate', '1', b.user])] : [c.root(['usermod', '--lock', '--expiredate', '1', b.user]), c.root(['pkill', '-KILL', '-u', b.user])],
    });
  }
  return out;
}

function banSteps({ facts, hc, on }: Ctx): NextStep[] {
  const out: NextStep[] = [];
  for (const b of facts.breakIns) {
    const jails = facts.banned.get(b.host)?.get(b.ip);
    if (jails?.size || out.some((s) => s.title.includes(` ${b.ip} `))) continue;
    const c = hc(b.host);
    const jail = facts.jails.get(b.host)?.find((j) => /sshd/.test(j)) ?? 'sshd';
    const args = ['ban', b.ip, '--jail', jail, '--reason', `logged in as ${b.user} after ${b.failures} failures`];
    out.push({ title: `Ban ${b.ip}${on(b.host)}`, why: `it logged in as ${b.user} after a brute force and fail2ban has not banned it.${onLive(c)}`, finding: `auth-review: ${b.user} logged in from ${b.ip} after a brute force`, commands: [c.irLive(args) ?? shellLine(['sudo', 'ir', ...args])] });
  }
  return out;
}

function isolateStep({ facts, hc, on }: Ctx, compromised: ReportFinding[]): NextStep[] {
  if (!compromised.length && !facts.breakIns.length) return [];
  const out: NextStep[] = [];
  for (const host of new Set([...facts.breakIns.map((b) => b.host), ...compromised.map((f) => f.host)])) {
    if (facts.isolated.some((i) => i.host === host)) continue;
    const c = hc(host);
    const cmd = c.irLive(['isolate', '--project', facts.meta.vars.project ?? 'NAME', '--dry-run']);
    if (!cmd) continue; // a disk image: nothing runs on it
    const trigger = compromised.find((f) => f.host === host);
    out.push({
      title: `Isolate the Compose project${on(host)}`,
      why: `this playbook did not isolate anything${on(host)}; pause the project (snapshots first, ir restore undoes it)${facts.meta.vars.project ? '' : ', NAME being the Compose project (docker compose ls)'}, check the plan, then run it again without --dry-run.`,
      ...(trigger ? { finding: ref(trigger) } : {}),
      commands: [...(facts.meta.vars.project ? [] : [c.root(['docker', 'compose', 'ls'])]), cmd],
    });
  }
  return out;
}

function collectStep({ facts, hc, on }: Ctx, remove: ReportFinding[]): NextStep[] {
  const out: NextStep[] = [];
  for (const host of new Set(remove.map((f) => f.host))) {
    if (facts.evidence.some((e) => e.host === host && e.what === 'collect')) continue;
    const c = hc(host);
    const dir = facts.meta.hosts.find((h) => h.label === host)?.dir ?? '.';
    out.push({ title: `Collect evidence${on(host)} before removing anything`, why: 'this case holds no evidence archive of the host yet: logs, configuration, the planted files and the running processes, hashed, before they change.', finding: ref(remove.find((f) => f.host === host)!), commands: [c.ir(['collect', '--case', join(facts.caseDir, dir)])] });
  }
  return out;
}

/** One step per file: its planted lines removed in one edit (sed numbers lines as they were read). */
function removeSteps({ hc, on }: Ctx, remove: ReportFinding[]): NextStep[] {
  const byFile = new Map<string, ReportFinding[]>();
  for (const f of remove) {
    if (!f.path) continue;
    const k = `${f.host}\0${f.path}`;
    byFile.set(k, [...(byFile.get(k) ?? []), f]);
  }
  const out: NextStep[] = [];
  for (const fs of byFile.values()) {
    const f = fs[0]!;
    const c = hc(f.host);
    const file = c.path(f.path!);
    const lines = [...new Set(fs.map((x) => x.line).filter((n): n is number => n !== undefined))].sort((a, b) => a - b);
    const head = `${fs.length > 1 ? `${fs.length} findings` : 'the finding'} in ${f.path}${f.container ? ` (container ${f.container.name ?? f.container.id ?? ''})` : ''}`;
    const why = fs.map((x) => x.remediation).find(Boolean) ?? 'remove it after the evidence is collected.';
    const commands: string[] = [];
    let title: string;
    if (f.container) {
      title = `Remove ${head} inside its container`;
      commands.push(c.root(['docker', 'exec', f.container.id ?? f.container.name ?? '', 'sed', '-n', lines.map((n) => `${n}p`).join(';') || '1,20p', f.path!]));
    } else if (fs.every((x) => LINE_DETECTORS.has(x.detector ?? '')) && lines.length) {
      title = `Remove line${lines.length > 1 ? 's' : ''} ${lines.join(', ')} of ${f.path}${on(f.host)}`;
      commands.push(c.root(['sed', '-n', lines.map((n) => `${n}p`).join(';'), file]));
      commands.push(c.root(['sed', '-i', ...lines.flatMap((n) => ['-e', `${n}d`]), file]));
      if (f.path!.startsWith('/var/spool/cron/')) commands.push(c.root(['touch', c.path('/var/spool/cron/crontabs')]));
    } else if (f.detector === 'systemd' && /\.(service|timer|socket|path)$/.test(f.path!)) {
      const unit = f.path!.split('/').pop()!;
      title = `Stop and remove ${unit}${on(f.host)}`;
      commands.push(c.kind === 'image' ? c.root(['systemctl', `--root=${c.path('.')}`, 'disable', unit]) : c.root(['systemctl', 'disable', '--now', unit]));
      commands.push(c.root(['rm', '--', file]));
      if (c.kind !== 'image') commands.push(c.root(['systemctl', 'daemon-reload']));
    } else {
      title = `Deal with ${head}${on(f.host)}`;
      commands.push(lines.length ? c.root(['sed', '-n', lines.map((n) => `${n}p`).join(';'), file]) : c.root(['ls', '-l', '--', file]));
    }
    out.push({ title, why: `${fs.map((x) => x.severity.toUpperCase()).join(', ')}: ${why}`, finding: fs.map(ref).join('; '), commands });
  }
  return out;
}

export function nextSteps(facts: Facts): NextStep[] {
  const cache = new Map<string, HostCommands>();
  const hc = (host: string): HostCommands => cache.get(host) ?? cache.set(host, hostCommands(facts.meta, host)).get(host)!;
  const on = (host: string): string => (facts.meta.hosts.length > 1 ? ` on ${host}` : '');
  const ctx: Ctx = { facts, hc, on };
  const persist = facts.findings.filter((f) => f.source.startsWith('persistence-scan/'));
  const critical = persist.filter((f) => f.severity === 'critical');
  const remove = [...critical, ...persist.filter((f) => f.severity === 'high')];
  const next: NextStep[] = [...lockSteps(ctx), ...banSteps(ctx), ...isolateStep(ctx, critical), ...collectStep(ctx, remove), ...removeSteps(ctx, remove)];

  const keys = persist.filter((f) => f.detector === 'authorized-keys' && severityRank(f.severity) >= severityRank('medium'));
  const rotateHosts = new Set([...facts.breakIns.map((b) => b.host), ...keys.map((f) => f.host)]);
  for (const host of rotateHosts) {
    const c = hc(host);
    const users = [...new Set(facts.breakIns.filter((b) => b.host === host).map((b) => b.user))];
    const key = keys.find((f) => f.host === host);
    next.push({
      title: `Rotate the keys and secrets exposed${on(host)}`,
      why: `${users.length ? `${users.join(', ')} logged in after a brute force: its password, the SSH keys in its home, and every secret it could read (the app's .env, database passwords, API tokens) are known to the attacker.` : 'a key in an authorized_keys file is at medium or above.'} Make new keys, replace every key you cannot name in authorized_keys, change the passwords and tokens, then check the key files again.`,
      finding: (() => {
        const alert = facts.findings.find((f) => f.host === host && f.source.startsWith('auth-review/') && f.severity === 'critical' && users.includes(f.user ?? ''));
        return alert ? ref(alert) : key ? ref(key) : `auth-review: ${users.join(', ')} logged in after a brute force`;
      })(),
      commands: [shellKeygen(host), c.ir(['persistence-scan', '--only', 'authorized-keys'])],
    });
  }

  const scanHosts = new Set(remove.map((f) => f.host));
  for (const host of scanHosts) {
    next.push({ title: `Scan${on(host) ? ` ${host}` : ''} again`, why: 'a clean scan at high proves the removal; anything it still finds was missed or came back.', finding: ref(remove.find((f) => f.host === host)!), commands: [hc(host).ir(['persistence-scan', '--fail-on', 'high'])] });
  }

  for (const i of facts.isolated) {
    const c = hc(i.host);
    const restore = c.irLive(['restore', '--case', i.dir, '--dry-run']);
    if (!restore) continue;
    next.push({ title: `Bring the project ${i.project} back${on(i.host)} when it is clean`, why: 'this playbook isolated it; restore replays the isolation journal backwards (check the plan, then run it without --dry-run). If a recent change to the app caused the problem, the hardening guide\'s rollback goes back one commit first, in the app\'s directory: git checkout HEAD~1 -- docker-compose.yaml Dockerfile.', commands: [restore] });
  }

  const hygiene = facts.findings.filter((f) => f.source.startsWith('sweep/') || f.source.startsWith('fail2ban/'));
  for (const host of new Set(hygiene.map((f) => f.host))) {
    const fs = hygiene.filter((f) => f.host === host);
    const worst = fs[0]!;
    next.push({ title: `Fix ${num(fs.length)} hygiene ${fs.length === 1 ? 'failure' : 'failures'}${on(host)}`, why: `each names its remediation in the findings below, the worst first (${worst.severity}: ${worst.title}); the sweep checks them again.`, finding: ref(worst), commands: [hc(host).ir(['sweep'])] });
  }

  for (const r of facts.retried) {
    const jails = facts.banned.get(r.host)?.get(r.ip);
    if (!jails?.size) continue;
    const c = hc(r.host);
    const cmd = c.irLive(['unban', r.ip, '--reason', `confirmed with ${r.user}`]);
    next.push({ title: `Unban ${r.ip}${on(r.host)} if ${r.user}'s login from it is legitimate`, why: `${r.user} logged in from ${r.ip}, which failed before and is banned in ${[...jails].join(', ')}; confirm with the person first (the hardening guide's "Unban a legitimate IP"). ir unban checks the auth log before it unbans.`, commands: cmd ? [cmd] : [...jails].map((j) => `sudo fail2ban-client set ${j} unbanip ${r.ip}`) });
  }
  return next;
}

function shellKeygen(host: string): string {
  // on the responder's machine; ~ stays unquoted so that the shell expands it
  return `ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519_${host.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
