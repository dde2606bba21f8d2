import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../host/target.js';
import { UserError } from '../../core/errors.js';
import { compactUtc, utcNow } from '../../core/time.js';
import type { CheckResult } from '../schema.js';
import { addressFamily, detectUfw, normalizeRuleset, quarantineRuleset, REVERT_RULESET, sha256 } from './firewall.js';
import { HOST_JOURNAL_NAME, writeHostJournal } from './journal.js';
import { responderAddress, sshdFacts } from './responder.js';
import { STATE_ROOT, TABLE_FAMILY, TABLE_NAME, type HostJournal, type HostStep } from './schema.js';
import { probe, runStep } from './steps.js';
import { existingPaths, getentShadow, killSessionsStep, lockSteps, userBefore } from './users.js';
import { hasSystemd, WATCHDOG_SCRIPT, watchdogArgv, writeRemoteFile } from './watchdog.js';

export interface ContainOptions {
  caseDir?: string;
  allow: string[];
  confirmWithinS: number;
  keepEstablished: boolean;
  lockUsers: string[];
  killSessions: string[];
  /** the account ir logs in with: never locked or killed */
  loginUser?: string;
  dryRun: boolean;
  argv: string[];
  toolVersion: string;
  confirm: (j: HostJournal, plan: HostStep[]) => Promise<void>;
}

export interface ContainResult {
  case: string;
  journal: string;
  dryRun: boolean;
  plan: HostStep[];
  record: HostJournal;
  seconds: number;
}

/**
 * Host containment: arms the watchdog, loads ir's nftables table, locks and kills what it was asked to,
 * then checks all of it. Returns at once: the watchdog reverts by itself at the deadline.
 */
export async function containHost(target: Target, o: ContainOptions): Promise<ContainResult> {
  const t0 = performance.now();
  const nftV = await probe(target, ['nft', '--version']);
  if (nftV.code !== 0) throw new UserError(`nft is not installed on ${target.name}`, 'install nftables (apt-get install nftables); ufw and iptables hosts need it too, ir adds its own table next to theirs');
  const existing = await probe(target, ['nft', 'list', 'table', TABLE_FAMILY, TABLE_NAME]);
  if (existing.code === 0) throw new UserError(`${target.name} is already quarantined (nft table ${TABLE_FAMILY} ${TABLE_NAME} exists)`, 'ir restore --case DIR of that isolation first');
  const before = await probe(target, ['nft', 'list', 'ruleset']);
  if (before.code !== 0) throw new UserError(`nft list ruleset failed on ${target.name}: ${before.stderr.trim().split('\n')[0]}`, 'run as root or with --sudo');
  // ufw is left alone (see detectUfw); the journal and the plan say that it runs
  const ufw = detectUfw(await probe(target, ['ufw', 'status']), before.stdout);

  const allow = [...o.allow];
  const allowSource = o.allow.map((a) => `--allow ${a}`);
  const seen = await responderAddress(target);
  if (seen && !allow.includes(seen)) {
    allow.push(seen);
    allowSource.push(`SSH_CLIENT ${seen}`);
  }
  for (const a of allow) {
    try {
      addressFamily(a);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }
  if (allow.length === 0) throw new UserError(`no responder address: SSH_CLIENT is not set on ${target.name}`, 'give the address to keep with --allow ADDR, or it would lock everyone out');
  const sshd = await sshdFacts(target);

  const forbidden = new Set(['root', o.loginUser].filter(Boolean));
  for (const u of [...o.lockUsers, ...o.killSessions]) if (forbidden.has(u)) throw new UserError(`refusing to lock or kill ${u}: ir itself logs in as ${u}`);
  const users = [];
  for (const u of o.lockUsers) {
    try {
      users.push(await userBefore(target, u, sshd.authorizedKeysFiles));
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }

  const id = `${compactUtc()}-${randomBytes(3).toString('hex')}`;
  const stateDir = `${STATE_ROOT}/${id}`;
  const caseDir = o.caseDir ?? join('cases', `${target.name.replace(/[^A-Za-z0-9._-]/g, '_')}-host-${compactUtc()}`);
  const ruleset = quarantineRuleset({ allow, sshPorts: sshd.ports, keepEstablished: o.keepEstablished });
  const systemd = await hasSystemd(target);
  const deadlineEpoch = Math.floor(Date.now() / 1000) + o.confirmWithinS;
  const unit = `ir-isolate-${id}`;

  const plan: HostStep[] = [
    { kind: 'watchdog', subject: 'dead man\'s switch', argv: watchdogArgv(systemd ? 'systemd-run' : 'setsid', unit, stateDir, deadlineEpoch), why: `reverts at ${new Date(deadlineEpoch * 1000).toISOString()} unless ir isolate --confirm --case ${caseDir}` },
    { kind: 'nft-apply', subject: `table ${TABLE_FAMILY} ${TABLE_NAME}`, argv: ['nft', '-f', '-'], input: ruleset, why: `drop all but SSH (port ${sshd.ports.join(',')}) from ${allow.join(', ')}${o.keepEstablished ? ' and established sessions' : ''}` },
    ...users.flatMap((u) => lockSteps(u, id)),
    ...o.killSessions.map(killSessionsStep),
  ];
  const record: HostJournal = {
    version: 1,
    kind: 'host-network',
    id,
    host: target.name,
    argv: o.argv,
    toolVersion: o.toolVersion,
    createdAt: utcNow(),
    stateDir,
    allow,
    allowSource,
    sshPorts: sshd.ports,
    sshPortSource: sshd.source,
    keepEstablished: o.keepEstablished,
    firewall: { tool: 'nft', ufwActive: ufw.active, ufwEvidence: ufw.evidence, beforeRuleset: before.stdout, beforeSha256: sha256(before.stdout), ruleset },
    deadline: new Date(deadlineEpoch * 1000).toISOString(),
    watchdog: { how: systemd ? 'systemd-run' : 'setsid', unit: systemd ? unit : undefined },
    users,
    killed: [],
    steps: [],
    restores: [],
  };
  const journalPath = join(caseDir, HOST_JOURNAL_NAME);
  if (o.dryRun) return { case: caseDir, journal: journalPath, dryRun: true, plan, record, seconds: secs(t0) };
  await o.confirm(record, plan);
  // the clock starts when the rules go in, not when the plan was shown
  const armedDeadline = Math.floor(Date.now() / 1000) + o.confirmWithinS;
  plan[0] = { ...plan[0]!, argv: watchdogArgv(systemd ? 'systemd-run' : 'setsid', unit, stateDir, armedDeadline) };
  record.deadline = new Date(armedDeadline * 1000).toISOString();

  await fsp.mkdir(caseDir, { recursive: true, mode: 0o700 });
  await writeHostJournal(caseDir, record);
  await writeRemoteFile(target, `${stateDir}/watchdog.sh`, WATCHDOG_SCRIPT);
  await writeRemoteFile(target, `${stateDir}/revert.nft`, REVERT_RULESET);
  await writeRemoteFile(target, `${stateDir}/before.nft`, before.stdout);

  for (const u of o.killSessions) {
    const ps = await probe(target, ['ps', '-o', 'pid=,user=,args=', '-u', u]);
    for (const line of ps.stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
      if (m) record.killed.push({ pid: Number(m[1]), user: m[2]!, args: m[3]! });
    }
  }
  for (const step of plan) {
    const r = await runStep(target, step);
    record.steps.push(r);
    await writeHostJournal(caseDir, record);
    // without the watchdog nothing would bring the host back: stop before the rules go in
    if (step.kind === 'watchdog' && !r.ok) throw new UserError(`the watchdog did not start on ${target.name}: ${r.stderr ?? `exit ${r.code}`}; nothing else was changed`);
    if (step.kind === 'nft-apply' && !r.ok) break;
  }
  record.selfTest = await hostSelfTest(target, record);
  await writeHostJournal(caseDir, record);
  return { case: caseDir, journal: journalPath, dryRun: false, plan, record, seconds: secs(t0) };
}

const secs = (from: number) => Math.round((performance.now() - from) / 10) / 100;

/** The table is loaded with drop policies, this very session still gets through, the watchdog is alive, users are locked. */
export async function hostSelfTest(target: Target, j: HostJournal): Promise<NonNullable<HostJournal['selfTest']>> {
  const checks: CheckResult[] = [];
  const t = await probe(target, ['nft', 'list', 'table', TABLE_FAMILY, TABLE_NAME]);
  const drops = (t.stdout.match(/policy drop;/g) ?? []).length;
  checks.push({ subject: `nft table ${TABLE_NAME}`, ok: t.code === 0 && drops === 3, expected: 'loaded, input/output/forward policy drop', actual: t.code === 0 ? `loaded, ${drops} chains with policy drop` : `missing (${t.stderr.trim().split('\n')[0]})` });
  // this probe is a new command over the same (responder's) connection: if it came back, SSH still works
  const others = await probe(target, ['nft', 'list', 'ruleset']);
  const same = normalizeRuleset(others.stdout) === normalizeRuleset(j.firewall.beforeRuleset);
  checks.push({ subject: 'other tables', ok: same, expected: 'unchanged', actual: same ? 'unchanged' : 'changed' });
  const wd = await probe(target, ['sh', '-c', 'kill -0 "$(cat "$1/watchdog.pid")" 2>/dev/null && echo alive || { [ -e "$1/reverted" ] && echo reverted || echo dead; }', 'sh', j.stateDir]);
  const wdState = wd.stdout.trim();
  checks.push({ subject: 'watchdog', ok: wdState === 'alive', expected: `alive until ${j.deadline}`, actual: wdState || wd.stderr.trim() });
  for (const u of j.users) {
    const sh = await getentShadow(target, u.user).catch(() => null);
    const locked = (sh?.hash ?? '').startsWith('!');
    const keysLeft = await existingPaths(target, u.authorizedKeys);
    const ok = locked && sh?.expire === '1' && keysLeft.length === 0;
    checks.push({ subject: `user ${u.user}`, ok, expected: 'password locked, account expired, no authorized_keys', actual: `password ${locked ? 'locked' : 'NOT locked'}, expire ${sh?.expire || 'never'}, keys left: ${keysLeft.join(',') || 'none'}` });
  }
  for (const s of j.steps.filter((x) => x.kind === 'kill-sessions')) {
    const left = await probe(target, ['pgrep', '-u', s.subject]);
    const pids = left.stdout.trim().split('\n').filter(Boolean);
    checks.push({ subject: `sessions of ${s.subject}`, ok: pids.length === 0, expected: 'no process', actual: pids.length ? `pids ${pids.join(',')}` : 'none' });
  }
  for (const s of j.steps.filter((x) => !x.ok)) checks.push({ subject: s.kind, ok: false, expected: 'succeeds', actual: s.stderr ?? `exit ${s.code}` });
  return { at: utcNow(), ok: checks.every((c) => c.ok), checks };
}

/** `ir isolate --confirm`: over a new connection (this one), tell the watchdog to stand down. */
export async function confirmHost(target: Target, caseDir: string, j: HostJournal): Promise<{ confirmedAt: string; ok: boolean; detail: string }> {
  if (j.host !== target.name) throw new UserError(`the journal was written for host ${j.host}, not ${target.name}`);
  const st = await probe(target, ['sh', '-c', 'if [ -e "$1/reverted" ]; then echo reverted; elif [ -e "$1/restored" ]; then echo restored; elif [ -d "$1" ]; then touch "$1/confirmed" && echo confirmed; else echo missing; fi', 'sh', j.stateDir]);
  const state = st.stdout.trim();
  const at = utcNow();
  if (state === 'confirmed') {
    j.confirmedAt = at;
    await writeHostJournal(caseDir, j);
    return { confirmedAt: at, ok: true, detail: `confirmed: the quarantine stays until ir restore --case ${caseDir}` };
  }
  if (state === 'reverted') return { confirmedAt: at, ok: false, detail: 'too late: the watchdog already reverted the quarantine (the host is back on the network)' };
  if (state === 'restored') return { confirmedAt: at, ok: false, detail: 'already restored' };
  throw new UserError(`no quarantine state ${j.stateDir} on ${target.name} (rebooted?)`, st.stderr.trim() || undefined);
}
