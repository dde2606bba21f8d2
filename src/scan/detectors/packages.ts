import pLimit from 'p-limit';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { listOrEmpty } from '../../host/target.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { dpkgIndex } from '../facts-dpkg.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { eachLogLine, rotations } from '../rules/log-lines.js';
import { suspiciousLines } from '../rules/shell-script.js';
import { readBounded, NORMAL } from './util.js';

const ATTACK = 'T1546.016';
const DPKG_LOG = '/var/log/dpkg.log';
const APT_HISTORY = '/var/log/apt/history.log';
const INFO = '/var/lib/dpkg/info';
const SCRIPT = /^(.+?)(?::[^.:]+)?\.(preinst|postinst|prerm|postrm|config)$/;
/** Rules no real package's maintainer script matches: critical whoever owns the script. */
const STRONG = new Set(['reverse-shell', 'fetch-exec', 'miner']);

export interface DpkgInstall {
  /** the host's local time as dpkg wrote it */
  time: string;
  action: 'install' | 'upgrade';
  pkg: string;
  version: string;
  line: number;
  raw: string;
}

/** `2024-01-02 10:00:00 install pkg:amd64 <none> 1.0-1` and `… upgrade pkg:amd64 1.0-1 1.0-2` lines of dpkg.log. */
export function parseDpkgLogLine(raw: string, line = 0): DpkgInstall | null {
  const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (install|upgrade) ([^\s:]+)(?::\S+)? \S+ (\S+)$/.exec(raw);
  return m ? { time: m[1]!, action: m[2] as 'install' | 'upgrade', pkg: m[3]!, version: m[4]!, line, raw } : null;
}

export interface AptTransaction {
  start: string;
  end?: string;
  commandline?: string;
  /** package → version apt installed, upgraded to, reinstalled or downgraded to */
  installs: Map<string, string>;
  /** packages of the transaction given as a .deb file (`apt install ./x.deb`) */
  local: Set<string>;
}

/** apt's history.log, stanza by stanza (Start-Date … End-Date), fed one line at a time. */
export class AptHistory {
  readonly transactions: AptTransaction[] = [];
  private cur: AptTransaction | null = null;

  line(raw: string): void {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
    if (!m) return;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Start-Date') {
      this.cur = { start: value.replace(/\s+/, ' '), installs: new Map(), local: new Set() };
      this.transactions.push(this.cur);
      return;
    }
    if (!this.cur) return;
    if (key === 'End-Date') this.cur.end = value.replace(/\s+/, ' ');
    else if (key === 'Commandline') this.cur.commandline = value;
    else if (/^(Install|Upgrade|Reinstall|Downgrade)$/.test(key)) {
      for (const p of value.matchAll(/([^\s,:()]+)(?::[^\s,()]+)? \(([^)]*)\)/g)) {
        const vers = p[2]!.split(',').map((v) => v.trim()).filter((v) => v && v !== 'automatic');
        const version = key === 'Upgrade' || key === 'Downgrade' ? vers[1] ?? vers[0] : vers[0];
        if (version) this.cur.installs.set(p[1]!, version);
      }
    }
  }

  /** After the last line: mark the packages of `apt install ./file.deb` transactions. */
  finish(): void {
    for (const t of this.transactions) {
      const debs = (t.commandline ?? '').split(/\s+/).filter((w) => /\.deb$/.test(w)).map((w) => w.slice(w.lastIndexOf('/') + 1));
      if (debs.length === 0) continue;
      const names = debs.map((d) => d.split('_')[0]!);
      for (const pkg of t.installs.keys()) if (names.includes(pkg) || debs.some((d) => !d.includes('_'))) t.local.add(pkg);
    }
  }

  made(pkg: string, version: string): AptTransaction | undefined {
    return this.transactions.find((t) => t.installs.get(pkg) === version);
  }
}

export interface LocalInstall {
  install: DpkgInstall;
  path: string;
  how: string;
}

/**
 * Installs that apt did not make: in dpkg.log without a matching apt transaction (dpkg -i), or apt
 * transactions that named a .deb file. The base system, installed by dpkg before apt's first
 * transaction (debootstrap, the installer), is left out.
 */
export function localInstalls(dpkg: { install: DpkgInstall; path: string }[], history: AptHistory): LocalInstall[] {
  const first = history.transactions.map((t) => t.start).sort()[0];
  let cutoff = first;
  if (!cutoff && dpkg.length) {
    const t0 = new Date(dpkg.map((d) => d.install.time).sort()[0]!.replace(' ', 'T') + 'Z').getTime();
    cutoff = new Date(t0 + 3600_000).toISOString().replace('T', ' ').slice(0, 19);
  }
  const out = new Map<string, LocalInstall>();
  for (const d of dpkg) {
    const t = history.made(d.install.pkg, d.install.version);
    if (t?.local.has(d.install.pkg)) out.set(d.install.pkg, { ...d, how: `apt installed it from a .deb file (${clip(t.commandline ?? '', 160)})` });
    else if (!t && cutoff && d.install.time >= cutoff) out.set(d.install.pkg, { ...d, how: history.transactions.length ? 'dpkg installed it with no apt transaction for that version (dpkg -i of a local .deb)' : 'dpkg installed it and there is no apt history to vouch for it' });
  }
  return [...out.values()];
}

async function readLogs(ctx: DetectorContext, c: Collector): Promise<{ dpkg: { install: DpkgInstall; path: string }[]; history: AptHistory }> {
  const dpkg: { install: DpkgInstall; path: string }[] = [];
  const history = new AptHistory();
  for (const path of await rotations(ctx.target, DPKG_LOG)) {
    let n = 0;
    try {
      await eachLogLine(ctx.target, path, (l) => {
        const d = parseDpkgLogLine(l, ++n);
        if (d) dpkg.push({ install: d, path });
      });
      c.examined++;
    } catch (err) {
      c.warn(`not read: ${(err as Error).message}`, path);
    }
  }
  for (const path of await rotations(ctx.target, APT_HISTORY)) {
    try {
      await eachLogLine(ctx.target, path, (l) => history.line(l));
      c.examined++;
    } catch (err) {
      c.warn(`not read: ${(err as Error).message}`, path);
    }
  }
  history.finish();
  return { dpkg, history };
}

/** A maintainer script: the strong rules are critical whoever owns it; other signals count in a local package's script, and at most medium in a stock script changed after unpacking. */
async function judgeMaintainerScript(ctx: DetectorContext, c: Collector, path: string, pkg: string, local: boolean): Promise<void> {
  const file = await readBounded(ctx.target, c, path, 1024 * 1024, { kind: 'maintainer script', normal: NORMAL.script });
  if (!file) return;
  c.examined++;
  const lines = suspiciousLines(file.text);
  if (lines.length === 0) return;
  // control files keep the mtime they had in the .deb, and dpkg writes them at the same moment (ctime):
  // a script that differs from its package's md5sums file in either was changed after unpacking
  const ref = await ctx.target.stat(`${INFO}/${pkg}.md5sums`).catch(() => null);
  const changed = Boolean(ref && (Math.abs(file.stat.mtime - ref.mtime) > 60 || (file.stat.ctime !== undefined && ref.ctime !== undefined && file.stat.ctime - ref.ctime > 3600)));
  let severity: Severity = 'info';
  let strong = false;
  for (const l of lines) {
    for (const s of l.signals) {
      if (STRONG.has(s.rule)) strong = true;
      severity = maxSeverity(severity, s.severity);
    }
  }
  if (strong) severity = 'critical';
  // the other rules are our guesses about code Debian developers wrote: in a stock package's script, as
  // unpacked, they are not reported; a script changed after unpacking keeps them (below high unless strong)
  else if (!local && !changed) return;
  else if (!local && severityRank(severity) > severityRank('medium')) severity = 'medium';
  const top = lines.find((l) => l.signals.some((s) => (strong ? STRONG.has(s.rule) : s.severity === severity))) ?? lines[0]!;
  const sig = top.signals.find((s) => (strong ? STRONG.has(s.rule) : true))!;
  const phase = SCRIPT.exec(path.slice(path.lastIndexOf('/') + 1))?.[2] ?? 'maintainer';
  c.add({
    rule: `packages.${sig.rule}`,
    key: instanceKey('packages', path, 'script'),
    contentHash: contentHash(file.text),
    severity,
    title: `Maintainer script of ${pkg} (${phase}): ${sig.reason}`,
    path,
    line: top.line,
    user: 'root',
    evidence: clip(top.text, 400),
    attack: ATTACK,
    reason: [...new Set(lines.flatMap((l) => l.signals.map((s) => s.reason)))]
      .concat(strong ? ['no real package ships that in a maintainer script'] : [], local ? ['its package came from a local .deb'] : [], changed ? ['changed after its package was unpacked'] : [], [`dpkg runs it as root at every install, upgrade or removal of ${pkg}`])
      .join('; '),
    remediation: `Preserve ${path} (ir collect) before any apt or dpkg run (the next upgrade would run it), then find how ${pkg} got there.`,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { package: pkg, phase, local, changedAfterUnpack: changed, lines: lines.map((l) => ({ line: l.line, text: clip(l.text, 300), rules: l.signals.map((s) => s.rule) })) },
  });
}

export const packages: Detector = {
  id: 'packages',
  title: 'Packages installed from a local .deb (dpkg.log against apt history) and maintainer scripts that fetch code or open shells',
  category: 'persistence',
  attack: [ATTACK],
  locations: [`${DPKG_LOG}*`, `${APT_HISTORY}*`, `${INFO}/*.{preinst,postinst,prerm,postrm,config} (all with --deep, else those of local packages)`, `${INFO}/*.md5sums (mtime, ctime)`, '/var/lib/dpkg/status'],
  async run(ctx) {
    const c = new Collector('packages', 'persistence', ctx.target.name);
    const { dpkg, history } = await readLogs(ctx, c);
    const local = localInstalls(dpkg, history);
    // the package database only when there is a local package to look up
    const idx = local.length ? await dpkgIndex(ctx.facts) : null;
    for (const l of local) {
      const installed = idx?.packages.get(l.install.pkg);
      const still = Boolean(installed && /ok installed/.test(installed.status));
      c.add({
        rule: 'packages.local-deb',
        key: instanceKey('packages', l.install.pkg, 'local-deb'),
        contentHash: contentHash(l.install.pkg, l.install.version),
        severity: still ? 'medium' : 'low',
        title: `Package ${l.install.pkg} ${l.install.version} was installed from a local .deb, not from an apt source${still ? '' : ' (since removed)'}`,
        path: l.path,
        line: l.install.line,
        user: 'root',
        evidence: clip(l.install.raw, 300),
        attack: ATTACK,
        reason: [l.how, 'nothing vouches for where a local .deb came from; its maintainer scripts ran as root', `logged at ${l.install.time} (host's local time)`].join('; '),
        remediation: `Check who installed it (auth log around ${l.install.time}), preserve /var/lib/dpkg/info/${l.install.pkg}.* and its files (dpkg -L ${l.install.pkg}), then remove it with dpkg --purge if it is not yours.`,
        details: { package: l.install.pkg, version: l.install.version, installedAt: l.install.time, installed: still },
      });
    }
    const localNames = new Set(local.map((l) => l.install.pkg));
    const scripts: { path: string; pkg: string }[] = [];
    for (const e of await listOrEmpty(ctx.target, INFO).catch((err: Error) => (c.warn(err.message, INFO), []))) {
      const m = SCRIPT.exec(e.name);
      if (!m || e.stat.type !== 'file') continue;
      // walking every maintainer script is --deep work; local packages' scripts are read on every scan
      if (ctx.deep || localNames.has(m[1]!)) scripts.push({ path: e.path, pkg: m[1]! });
    }
    const limit = pLimit(16);
    await Promise.all(scripts.map((s) => limit(() => judgeMaintainerScript(ctx, c, s.path, s.pkg, localNames.has(s.pkg)))));
    return c.result();
  },
};
