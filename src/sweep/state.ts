import { z } from 'zod';
import type { Target } from '../host/target.js';
import { listOrEmpty, readTextOrNull } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { runScan } from '../scan/engine.js';
import { isSystemAccount, NOLOGIN_SHELLS, parsePasswd } from '../host/facts/passwd.js';
import { contentHash, maxSeverity, Severity } from '../core/finding.js';
import { expandKeysPath } from '../host/facts/sshd.js';
import { parseAuthorizedKey } from '../scan/ssh-keys.js';

/** How much of one authorized_keys file a baseline reads: the scan's whole-file budget. */
const KEYS_BUDGET = 64 * 1024 * 1024;
import { SweepContext, type SweepOptions } from './context.js';
import { STATE_KINDS, type StateKind } from './defaults.js';
import { shadowEntries } from './facts/shadow.js';
import { listeningSockets, SS_LISTENING } from './facts/sockets.js';
import { SSHD_READS, sshdCommands, sshdViews } from './facts/sshd.js';

/**
 * What each state kind reads and runs whatever it finds, declared for the sweep's batch over ssh (the
 * persistence scan declares its own detectors' locations when it runs).
 */
export const STATE_INPUTS: Record<StateKind, { reads: string[]; commands?: (o: SweepOptions) => string[][] }> = {
  port: { reads: [], commands: () => [SS_LISTENING] },
  account: { reads: ['/etc/passwd', '/etc/shadow'] },
  'authorized-key': { reads: ['/etc/passwd', '~/.ssh/authorized_keys', '~/.ssh/authorized_keys2', ...SSHD_READS], commands: sshdCommands },
  persistence: { reads: [] },
  unit: { reads: ['/etc/systemd/system /etc/systemd/user (lstat)', '/etc/systemd/system/*.wants/* (lstat)', '/etc/systemd/system/*.requires/* (lstat)', '/etc/systemd/user/*.wants/* (lstat)', '/etc/systemd/user/*.requires/* (lstat)'] },
};

/** One thing whose appearance, change or removal between two sweeps matters, under a stable key. */
export const StateItem = z.object({
  key: z.string(),
  kind: z.enum(STATE_KINDS),
  contentHash: z.string(),
  summary: z.string(),
  /** how much a new or changed item of this kind matters */
  severity: Severity,
});
export type StateItem = z.infer<typeof StateItem>;

async function ports(ctx: SweepContext): Promise<StateItem[]> {
  if (!ctx.target.live) return [];
  const s = await listeningSockets(ctx);
  const seen = new Map<string, StateItem>();
  for (const x of s?.sockets ?? []) {
    const key = `port:${x.proto}:${x.address}:${x.port}`;
    seen.set(key, { key, kind: 'port', contentHash: contentHash(key), summary: `${x.proto} ${x.address}:${x.port}${x.process ? ` (${x.process})` : ''}`, severity: 'medium' });
  }
  return [...seen.values()];
}

async function accounts(ctx: SweepContext): Promise<StateItem[]> {
  const list = parsePasswd((await ctx.read('/etc/passwd')) ?? '');
  const shadow = new Map(((await shadowEntries(ctx).catch(() => null)) ?? []).map((e) => [e.name, e]));
  return list.map((a) => {
    const sh = shadow.get(a.name);
    // the password hash itself never leaves: only a hash of it, so that a changed password is drift
    const pw = sh ? `${sh.kind}:${contentHash(sh.hash)}` : 'none';
    const login = !NOLOGIN_SHELLS.test(a.shell);
    return {
      key: `account:${a.name}`,
      kind: 'account' as const,
      contentHash: contentHash(a.uid, a.gid, a.home, a.shell, pw),
      summary: `${a.name} uid=${a.uid} gid=${a.gid} home=${a.home} shell=${a.shell} password=${sh?.kind ?? 'none'}`,
      severity: a.uid === 0 ? 'critical' : login && !isSystemAccount(a) ? 'high' : 'medium',
    };
  });
}

async function authorizedKeys(ctx: SweepContext): Promise<StateItem[]> {
  const templates = new Set<string>();
  for (const v of await sshdViews(ctx).catch(() => [])) {
    for (const c of v.contexts) for (const p of (c.settings.get('authorizedkeysfile') ?? '').split(/\s+/).filter((x) => x && x !== 'none')) templates.add(p);
  }
  if (templates.size === 0) ['.ssh/authorized_keys', '.ssh/authorized_keys2'].forEach((p) => templates.add(p));
  const out = new Map<string, StateItem>();
  // one file at a time (each may be padded to its budget); over ssh the batch brought the usual ones (STATE_INPUTS)
  for (const a of parsePasswd((await ctx.read('/etc/passwd')) ?? '')) {
    for (const tpl of templates) {
      const path = expandKeysPath(tpl, a);
      // the whole file, as sshd reads it: a key after a megabyte of padding is still a key
      const text = await readTextOrNull(ctx.target, path, { maxBytes: KEYS_BUDGET }).catch(() => null);
      if (!text) continue;
      for (const line of text.split('\n').map((l) => l.trim())) {
        if (!line || line.startsWith('#')) continue;
        // the one authorized_keys parser; a line it cannot read is kept whole (sshd ignores it, a baseline still sees it change)
        let k: { type: string; blob: string; comment: string } | undefined;
        try {
          k = parseAuthorizedKey(line);
        } catch {
          k = undefined;
        }
        const key = `authorized-key:${a.name}:${contentHash(k?.blob ?? line)}`;
        out.set(key, { key, kind: 'authorized-key', contentHash: contentHash(line), summary: `${a.name} ${path}: ${k ? `${k.type} …${k.blob.slice(-12)} ${k.comment}` : `(not a key line) ${line.slice(0, 60)}`}`.trim(), severity: 'high' });
      }
    }
  }
  return [...out.values()];
}

/** The persistence findings as state; what kept the scan from running fully goes to `errors` (a state with holes is never "unchanged"). */
async function persistence(target: Target, policy: Policy, errors: string[]): Promise<StateItem[]> {
  let report: Awaited<ReturnType<typeof runScan>>;
  try {
    report = await runScan(target, policy);
  } catch (err) {
    errors.push(`persistence: the scan failed (${(err as Error).message})`);
    return [];
  }
  if (report.errors.length) {
    const what = [...new Set(report.errors.map((e) => (e.path ? `${e.detector} ${e.path}` : e.detector)))];
    errors.push(`persistence: ${report.errors.length} part(s) of the scan could not run (${what.slice(0, 4).join(', ')}${what.length > 4 ? ', …' : ''})`);
  }
  return report.findings.map((f) => ({
    key: `persistence:${f.key}`,
    kind: 'persistence' as const,
    contentHash: f.contentHash,
    summary: `${f.title}: ${f.evidence}`.slice(0, 300),
    // a scheduled job that was not there at the last sweep deserves a look even when benign-looking
    severity: maxSeverity(f.severity, 'medium'),
  }));
}

async function enabledUnits(ctx: SweepContext): Promise<StateItem[]> {
  const out: StateItem[] = [];
  for (const base of ['/etc/systemd/system', '/etc/systemd/user']) {
    for (const d of await listOrEmpty(ctx.target, base).catch(() => [])) {
      if (d.stat.type !== 'dir' || !/\.(wants|requires)$/.test(d.name)) continue;
      for (const u of await listOrEmpty(ctx.target, d.path).catch(() => [])) {
        const link = u.stat.type === 'symlink' ? await ctx.target.readlink(u.path).catch(() => '') : '(file)';
        const key = `unit:${d.path}/${u.name}`;
        out.push({ key, kind: 'unit', contentHash: contentHash(link), summary: `${d.name}/${u.name} -> ${link}`, severity: 'medium' });
      }
    }
  }
  return out;
}

/**
 * The state between sweeps, sorted by key so that two baselines diff cleanly; `errors` says which kind
 * could not be read whole (the sweep is then incomplete: exit 2, and no baseline is saved from it).
 */
export async function collectState(target: Target, policy: Policy, opts: SweepOptions = {}, ctx = new SweepContext(target, policy, opts)): Promise<{ items: StateItem[]; errors: string[] }> {
  const errors: string[] = [];
  const want = new Set(opts.stateKinds ?? STATE_KINDS);
  const none = Promise.resolve([] as StateItem[]);
  const parts = await Promise.all([
    want.has('port') ? ports(ctx) : none,
    want.has('account') ? accounts(ctx) : none,
    want.has('authorized-key') ? authorizedKeys(ctx) : none,
    want.has('persistence') ? persistence(target, policy, errors) : none,
    want.has('unit') ? enabledUnits(ctx) : none,
  ]);
  return { items: parts.flat().sort((a, b) => a.key.localeCompare(b.key)), errors };
}
