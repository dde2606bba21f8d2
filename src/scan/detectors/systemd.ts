import { posix } from 'node:path';
import type { DirEntry } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { md5OfFile, packageOwner } from '../facts-dpkg.js';
import { contentHash, instanceKey, maxSeverity, severityRank, type Severity } from '../../core/finding.js';
import { classifyCommand, type CommandSignal } from '../rules/command-line.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir, programOf, raise, recentlyChanged } from '../rules/location.js';
import { bytesText, MAX_LINE, NORMAL, quiet, readLines } from './util.js';
import { UnitParser, parseUnit, type UnitFile } from '../../host/facts/systemd-unit.js';

export { parseUnit };

/** Unit search path, most specific first (systemd.unit(5)); /usr/lib before /lib so merged-/usr hosts report the /usr path. */
const SYSTEM_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/run/systemd/transient', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
const USER_DIRS = ['/etc/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'];
const HOME_UNIT_DIRS = ['.config/systemd/user', '.local/share/systemd/user'];
const GENERATOR_DIRS = [
  '/etc/systemd/system-generators',
  '/run/systemd/system-generators',
  '/usr/local/lib/systemd/system-generators',
  '/usr/lib/systemd/system-generators',
  '/lib/systemd/system-generators',
  '/etc/systemd/user-generators',
  '/usr/lib/systemd/user-generators',
];
const UNIT_NAME = /\.(service|timer|socket|path|mount|automount|swap|target)$/;
const EXEC_KEYS = /^Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)$/;

/** The keys the detector judges or shows: the rest of a (possibly padded) unit is not held. */
const USED_KEYS = /^(Exec\w+|User|Environment|UnsetEnvironment|On\w+)$/;

function values(u: UnitFile, key: RegExp): { key: string; value: string; line: number }[] {
  const out: { key: string; value: string; line: number }[] = [];
  for (const entries of u.sections.values()) for (const [k, v, l] of entries) if (key.test(k)) out.push({ key: k, value: v, line: l });
  return out;
}

interface Judged {
  severity: Severity;
  signals: CommandSignal[];
  evidence?: { key: string; value: string; line: number };
}

/** What the Exec lines, User= and Environment= of a unit give away. */
async function judgeUnit(ctx: DetectorContext, u: UnitFile, homeOwner?: string): Promise<Judged> {
  const user = values(u, /^User$/).pop()?.value ?? homeOwner ?? 'root';
  const signals: CommandSignal[] = [];
  let evidence: Judged['evidence'];
  let severity: Severity = 'info';
  const note = (s: CommandSignal, e: Judged['evidence']) => {
    signals.push(s);
    if (!evidence || severityRank(s.severity) > severityRank(severity)) evidence = e;
    severity = maxSeverity(severity, s.severity);
  };
  for (const e of values(u, EXEC_KEYS)) {
    evidence ??= e;
    const cmd = e.value.replace(/^[-@:+!|]+/, '');
    for (const s of classifyCommand(cmd)) note(s, e);
    const prog = programOf(cmd);
    if (!prog) continue;
    const hidden = hiddenComponent(prog);
    if (hidden && !signals.some((s) => s.rule === 'hidden-path')) note({ rule: 'hidden-path', severity: 'medium', reason: `program in a hidden directory (${hidden})` }, e);
    if (user === 'root' && inHomeDir(prog) && !homeOwner) note({ rule: 'root-from-home', severity: 'medium', reason: 'runs as root a program from a home directory (its owner can change what root runs)' }, e);
    if (user === 'root' && !inWorldWritableDir(prog)) {
      const st = await ctx.target.stat(prog).catch(() => null);
      if (st && st.uid !== 0 && !homeOwner) note({ rule: 'root-runs-user-file', severity: 'medium', reason: `runs as root a program owned by uid ${st.uid}` }, e);
    }
  }
  for (const e of values(u, /^(Environment|UnsetEnvironment)$/)) {
    if (/\bLD_PRELOAD=/.test(e.value)) note({ rule: 'ld-preload', severity: 'high', reason: 'sets LD_PRELOAD for the service' }, e);
  }
  return { severity, signals, evidence };
}

interface UnitSource {
  path: string;
  name: string;
  dir: string;
  /** the account whose home holds a user unit */
  homeOwner?: string;
  dropIn?: boolean;
  linkTarget?: string;
}

const VENDOR = /^\/(usr\/)?lib\/systemd\//;

async function judgeFile(ctx: DetectorContext, c: Collector, src: UnitSource, enabled: Map<string, string[]>): Promise<void> {
  const parser = new UnitParser((k) => USED_KEYS.test(k), 1000, MAX_LINE);
  const file = await readLines(ctx.target, c, src.path, { kind: 'systemd unit', normal: NORMAL.unit }, (raw, n) => parser.push(raw, n));
  if (!file) return;
  c.examined++;
  const u = parser.end();
  const j = await judgeUnit(ctx, u, src.homeOwner);
  const owner = await packageOwner(ctx.facts, src.linkTarget && !src.linkTarget.startsWith('/') ? src.path : (src.linkTarget ?? src.path));
  const unitName = src.dropIn ? src.dir.split('/').pop()!.replace(/\.d$/, '') : src.name;
  const isEnabled = enabled.has(unitName);
  const isTimer = unitName.endsWith('.timer');
  const reasons = [...new Set(j.signals.map((s) => s.reason))];
  let severity = j.severity;
  if (j.signals.length === 0) {
    if (owner) return; // package-owned and nothing to say: default content
    severity = owner === null ? (isEnabled || src.homeOwner ? 'low' : 'info') : 'info';
    if (owner === null && VENDOR.test(src.path)) {
      severity = 'medium';
      reasons.push('unit in the vendor directory that no package ships (admins use /etc/systemd/system)');
    }
    if (src.path.startsWith('/run/systemd/transient')) severity = 'info';
  } else if (owner === null && severityRank(severity) >= severityRank('medium')) {
    severity = raise(severity);
  }
  if (src.linkTarget && (inWorldWritableDir(src.linkTarget) || inHomeDir(src.linkTarget) || hiddenComponent(src.linkTarget))) {
    severity = maxSeverity(severity, 'high');
    reasons.push(`unit is a link to ${src.linkTarget}`);
  }
  if (owner === null) reasons.push('not shipped by any package');
  if (isEnabled) reasons.push(`enabled (${enabled.get(unitName)!.join(', ')})`);
  if (src.homeOwner) reasons.push(`user unit of ${src.homeOwner}, runs at their login (or always with linger)`);
  if (src.dropIn) reasons.push(`drop-in overriding ${unitName}`);
  if (recentlyChanged(file.stat)) {
    reasons.push('changed in the last 7 days');
    if (j.signals.length === 0) severity = raise(severity, 1, 'low');
  }
  const timer = values(u, /^On(Calendar|BootSec|StartupSec|ActiveSec|UnitActiveSec|UnitInactiveSec)$/).map((v) => `${v.key}=${v.value}`);
  const rule = j.signals[0]?.rule ?? (owner === null ? 'unowned' : 'unit');
  const ev = j.evidence ? `${j.evidence.key}=${j.evidence.value}` : timer.length ? timer.join(' ') : src.path;
  c.add({
    rule: `systemd.${rule}`,
    key: instanceKey('systemd', src.path, src.dropIn ? 'drop-in' : 'unit'),
    contentHash: file.hash,
    severity,
    title: j.signals.length ? `Suspicious systemd ${isTimer ? 'timer' : 'unit'} ${unitName}: ${j.signals[0]!.reason}` : `systemd ${isTimer ? 'timer' : src.dropIn ? 'drop-in' : 'unit'} ${unitName}${owner === null ? ' not shipped by a package' : ''}`,
    path: src.path,
    line: j.evidence?.line,
    user: values(u, /^User$/).pop()?.value ?? src.homeOwner ?? 'root',
    evidence: clip(ev, 500),
    attack: isTimer ? 'T1053.006' : 'T1543.002',
    reason: reasons.join('; ') || 'systemd unit (inventory)',
    remediation: j.signals.length ? `systemctl disable --now ${unitName}, preserve ${src.path} (ir collect), then remove it and look for what it fetched or started.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { unit: unitName, enabled: isEnabled, owner, timer, exec: values(u, EXEC_KEYS).map((e) => `${e.key}=${clip(e.value, 300)}`), rules: j.signals.map((s) => s.rule), linkTarget: src.linkTarget },
  });
}

async function judgeGenerator(ctx: DetectorContext, c: Collector, e: DirEntry): Promise<void> {
  c.examined++;
  const owner = await packageOwner(ctx.facts, e.path);
  if (owner) return;
  const st = await ctx.target.stat(e.path).catch(() => null);
  let severity: Severity = owner === null ? 'high' : 'info';
  const reasons = ['generators run as root at every boot and daemon-reload, before any unit'];
  if (owner === null) reasons.unshift('generator not shipped by any package');
  let evidence = e.path;
  if (st?.type === 'file') {
    // generators are binaries or scripts: a script is judged line by line (a binary's lines say nothing)
    let binary = false;
    const f = await readLines(ctx.target, quiet(c), e.path, { kind: 'systemd generator', normal: Number.MAX_SAFE_INTEGER }, (line, n) => {
      if (n === 1 && line.includes('\0')) binary = true;
      if (binary) return;
      for (const s of classifyCommand(line)) {
        if (severityRank(s.severity) >= severityRank(severity)) evidence = line.trim();
        severity = maxSeverity(severity, s.severity);
        if (reasons.length < 50) reasons.push(s.reason);
      }
    });
    if (f && !f.complete) reasons.push(`only the first ${bytesText(f.bytes)} were judged`);
  }
  c.add({
    rule: 'systemd.generator',
    key: instanceKey('systemd', e.path, 'generator'),
    contentHash: await md5OfFile(ctx.target, e.path).catch(() => contentHash(e.path, st?.size)),
    severity,
    title: `systemd generator ${e.name}${owner === null ? ' not shipped by a package' : ''}`,
    path: e.path,
    user: 'root',
    evidence: clip(evidence, 500),
    attack: 'T1543.002',
    reason: [...new Set(reasons)].join('; '),
    remediation: `Preserve ${e.path} (ir collect) and remove it; generated units land in /run/systemd/generator*.`,
    mtime: st ? isoFromEpochSeconds(st.mtime) : undefined,
  });
}

/** Units pulled in through `*.wants`/`*.requires` links (what `systemctl enable` creates). */
async function enabledUnits(ctx: DetectorContext, c: Collector, dirs: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const d of await entriesOf(c, ctx, dir)) {
      if (d.stat.type !== 'dir' || !/\.(wants|requires|upholds)$/.test(d.name)) continue;
      for (const l of await entriesOf(c, ctx, d.path)) out.set(l.name, [...(out.get(l.name) ?? []), d.name]);
    }
  }
  return out;
}

export const systemd: Detector = {
  id: 'systemd',
  title: 'systemd units, timers, drop-ins, generators and user units',
  category: 'persistence',
  attack: ['T1543.002', 'T1053.006'],
  locations: [...SYSTEM_DIRS.map((d) => `${d}/**`), ...USER_DIRS.map((d) => `${d}/**`), ...HOME_UNIT_DIRS.map((d) => `~/${d}/**`), '*.d/*.conf (drop-ins)', '*.wants/ *.requires/ (enabled state)', ...GENERATOR_DIRS],
  async run(ctx) {
    const { target } = ctx;
    const c = new Collector('systemd', 'persistence', target.name);
    const homes: { dir: string; owner: string }[] = [];
    for (const a of await ctx.facts.accounts()) {
      if (a.home && a.home !== '/' && !homes.some((h) => h.dir === a.home)) for (const d of HOME_UNIT_DIRS) homes.push({ dir: posix.join(a.home, d), owner: a.name });
    }
    const dirs: { dir: string; homeOwner?: string }[] = [...SYSTEM_DIRS, ...USER_DIRS].map((dir) => ({ dir })).concat(homes.map((h) => ({ dir: h.dir, homeOwner: h.owner })));
    const enabled = await enabledUnits(ctx, c, dirs.map((d) => d.dir));
    // merged /usr: /lib/systemd/system is /usr/lib/systemd/system; read it once
    const merged = (await target.lstat('/lib').catch(() => null))?.type === 'symlink';
    const seen = new Set<string>();
    const work: Promise<void>[] = [];
    for (const { dir, homeOwner } of dirs) {
      const real = merged ? dir.replace(/^\/lib\//, '/usr/lib/') : dir;
      if (seen.has(real)) continue;
      seen.add(real);
      for (const e of await entriesOf(c, ctx, dir)) {
        if (UNIT_NAME.test(e.name) && isFileish(e)) {
          let linkTarget: string | undefined;
          if (e.stat.type === 'symlink') {
            linkTarget = await target.readlink(e.path).catch(() => undefined);
            if (linkTarget === '/dev/null') continue; // masked
            const abs = linkTarget && posix.resolve(dir, linkTarget);
            // an alias inside the search path is judged where it lives
            if (abs && (SYSTEM_DIRS.includes(posix.dirname(abs)) || USER_DIRS.includes(posix.dirname(abs)))) continue;
            linkTarget = abs;
          }
          work.push(judgeFile(ctx, c, { path: e.path, name: e.name, dir, homeOwner, linkTarget }, enabled));
        } else if (e.stat.type === 'dir' && e.name.endsWith('.d')) {
          for (const f of await entriesOf(c, ctx, e.path)) {
            if (f.name.endsWith('.conf') && isFileish(f)) work.push(judgeFile(ctx, c, { path: f.path, name: f.name, dir: e.path, homeOwner, dropIn: true }, enabled));
          }
        } else if (e.stat.type === 'dir' && /\.(wants|requires|upholds)$/.test(e.name)) {
          // a wants link that points outside the unit search path runs a unit nobody sees in a listing
          for (const l of await entriesOf(c, ctx, e.path)) {
            if (l.stat.type !== 'symlink') continue;
            const to = await target.readlink(l.path).catch(() => '');
            const abs = posix.resolve(e.path, to);
            if (!to || [...SYSTEM_DIRS, ...USER_DIRS].includes(posix.dirname(abs)) || homes.some((h) => posix.dirname(abs) === h.dir)) continue;
            work.push(judgeFile(ctx, c, { path: l.path, name: l.name, dir: e.path, homeOwner, linkTarget: abs }, enabled));
          }
        }
      }
    }
    for (const dir of GENERATOR_DIRS) {
      const real = merged ? dir.replace(/^\/lib\//, '/usr/lib/') : dir;
      if (seen.has(real)) continue;
      seen.add(real);
      for (const e of await entriesOf(c, ctx, dir)) if (isFileish(e)) work.push(judgeGenerator(ctx, c, e));
    }
    await Promise.all(work);
    return c.result();
  },
};
