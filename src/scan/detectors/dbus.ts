import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { resolveOwners } from '../facts-dpkg.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { judgeExecTargets } from '../rules/exec-target.js';
import { entriesOf, isFileish, provenance } from '../rules/judge-file.js';
import { readBounded, NORMAL } from './util.js';

/** dbus-daemon's standard system service directories (`<standard_system_servicedirs/>`), most specific first. */
const SERVICE_DIRS = ['/etc/dbus-1/system-services', '/usr/local/share/dbus-1/system-services', '/usr/share/dbus-1/system-services', '/usr/lib/dbus-1/system-services', '/lib/dbus-1/system-services'];
const POLICY_DIRS = ['/etc/dbus-1/system.d', '/usr/share/dbus-1/system.d', '/usr/local/share/dbus-1/system.d'];
const BUS_CONFIGS = ['/usr/share/dbus-1/system.conf', '/etc/dbus-1/system.conf', '/etc/dbus-1/system-local.conf'];
const ATTACK = 'T1543';

/** `Exec=` of a `[D-BUS Service]` file: dbus-daemon-launch-helper runs it (as `User=`, root by default) when a client calls the name. */
export function dbusExec(text: string): ConfigCommand[] {
  const out: ConfigCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*Exec\s*=\s*(.+)$/.exec(raw);
    if (m) out.push({ line: i + 1, raw: raw.trim(), command: m[1]!.trim() });
  });
  return out;
}

interface PolicySignal {
  rule: string;
  severity: Severity;
  reason: string;
  line: number;
  text: string;
}

/**
 * Bus configuration that widens the system bus: extra service directories or a replaced launch helper
 * (code that runs as root on demand), and default-context policies that let any user own or call any name.
 */
export function judgeBusConfig(text: string): PolicySignal[] {
  const out: PolicySignal[] = [];
  // comments can hide nothing: drop them, keeping line numbers
  const clean = text.replace(/<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  const lines = clean.split('\n');
  let context = '';
  lines.forEach((l, i) => {
    const pol = /<policy\b([^>]*)>/.exec(l);
    if (pol) context = /context\s*=\s*"default"/.test(pol[1]!) ? 'default' : /context\s*=\s*"mandatory"/.test(pol[1]!) ? 'mandatory' : /user\s*=\s*"\*"|group\s*=\s*"\*"/.test(pol[1]!) ? 'default' : 'user';
    if (/<\/policy>/.test(l) && !pol) context = '';
    const at = { line: i + 1, text: l.trim() };
    const sd = /<servicedir>\s*([^<]+?)\s*<\/servicedir>/.exec(l);
    if (sd) out.push({ rule: 'servicedir', severity: /^\/(tmp|var\/tmp|dev\/shm|home|root)\b|\/\./.test(sd[1]!) ? 'critical' : 'high', reason: `adds ${sd[1]} as a system service directory (its Exec= lines run as root on demand)`, ...at });
    if (/<servicehelper>/.test(l) && !/<servicehelper>\s*\/usr\/lib\/dbus-1\.0\/dbus-daemon-launch-helper\s*</.test(l)) out.push({ rule: 'servicehelper', severity: 'high', reason: 'replaces the launch helper that starts system services as root', ...at });
    if (context !== 'default' && context !== 'mandatory') return;
    if (/<allow\b[^>]*\bown\s*=\s*"\*"/.test(l)) out.push({ rule: 'own-any', severity: 'high', reason: 'lets any user own any name on the system bus (impersonate system services)', ...at });
    if (/<allow\b[^>]*\bsend_destination\s*=\s*"\*"/.test(l) && !/send_(interface|member|type|path)\s*=/.test(l)) out.push({ rule: 'send-any', severity: 'medium', reason: 'lets any user call every method of every system service', ...at });
  });
  return out;
}

async function judgePolicyFile(ctx: DetectorContext, c: Collector, path: string): Promise<void> {
  const file = await readBounded(ctx.target, c, path, 512 * 1024, { kind: 'D-Bus service or policy file', normal: NORMAL.config });
  if (!file) return;
  c.examined++;
  const sigs = judgeBusConfig(file.text);
  const prov = await provenance(ctx, path, file.stat, file.text);
  if (sigs.length === 0 && (prov.owner || prov.owner === undefined)) return;
  let severity: Severity = 'low';
  for (const s of sigs) severity = maxSeverity(severity, s.severity);
  // a rule hit in a file exactly as its package shipped it is our rule's mistake
  if (prov.pristine) severity = 'low';
  const top = sigs.find((s) => s.severity === severity) ?? sigs[0];
  c.add({
    rule: `dbus.${top?.rule ?? 'unowned-policy'}`,
    key: instanceKey('dbus', path, 'policy'),
    contentHash: contentHash(file.text),
    severity,
    title: top ? `D-Bus system bus configuration: ${top.reason}` : `D-Bus system bus policy not shipped by a package: ${path}`,
    path,
    line: top?.line,
    user: 'root',
    evidence: clip(top?.text ?? path, 400),
    attack: ATTACK,
    reason: [...new Set(sigs.map((s) => s.reason))].concat(prov.notes, ['read by dbus-daemon at start and on reload']).join('; '),
    remediation: top ? `Preserve ${path} (ir collect), remove the lines, reload dbus (systemctl reload dbus) and look for services it let in.` : undefined,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { owner: prov.owner, rules: sigs.map((s) => s.rule) },
  });
}

export const dbus: Detector = {
  id: 'dbus',
  title: 'D-Bus system services (started as root on demand) and system bus policies, with the programs they start',
  category: 'persistence',
  attack: [ATTACK],
  locations: [...SERVICE_DIRS.map((d) => `${d}/*.service`), ...POLICY_DIRS.map((d) => `${d}/*.conf`), ...BUS_CONFIGS, 'the file each Exec= runs'],
  async run(ctx) {
    const c = new Collector('dbus', 'persistence', ctx.target.name);
    const merged = (await ctx.target.lstat('/lib').catch(() => null))?.type === 'symlink';
    const services: string[] = [];
    for (const dir of SERVICE_DIRS) {
      if (merged && dir.startsWith('/lib/')) continue;
      for (const e of await entriesOf(c, ctx, dir)) if (isFileish(e) && e.name.endsWith('.service')) services.push(e.path);
    }
    const policies: string[] = [];
    for (const dir of POLICY_DIRS) for (const e of await entriesOf(c, ctx, dir)) if (isFileish(e) && e.name.endsWith('.conf')) policies.push(e.path);
    // /usr/share is outside the package index that every scan builds: one more pass over the file lists
    await resolveOwners(ctx.facts, [...services, ...policies, ...BUS_CONFIGS]);
    const seen = new Set<string>();
    for (const path of services) {
      const execs: string[] = [];
      await judgeConfigFile(ctx, c, path, { detector: 'dbus', attack: ATTACK, kind: 'D-Bus system service', unownedBase: 'medium', runs: 'dbus-daemon starts it as root (or its User=) whenever a client calls its name', harmless: /^\/(usr\/)?bin\/false$/ }, (text) => {
        const cmds = dbusExec(text);
        execs.push(...cmds.map((x) => x.command));
        return cmds;
      });
      for (const cmd of execs) await judgeExecTargets(ctx, c, cmd, { detector: 'dbus', attack: ATTACK, from: `the D-Bus system service ${path}`, kind: 'D-Bus service program', unownedBase: 'medium' }, seen);
    }
    for (const path of [...BUS_CONFIGS, ...policies]) await judgePolicyFile(ctx, c, path);
    return c.result();
  },
};
