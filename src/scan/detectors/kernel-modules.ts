import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';

const LOAD_DIRS = ['/etc/modules-load.d', '/run/modules-load.d', '/usr/local/lib/modules-load.d', '/usr/lib/modules-load.d'];
const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d'];
/** Public Linux LKM rootkits (names as their modules load). */
const ROOTKITS = /^(diamorphine|reptile(_module)?|suterusu|adore(-ng)?|knark|kovid|rkduck|nuk3gh0st|khook|brokepkg|puszek|enyelkm|kbeast|ipsecs_kbeast_v1|vlany|sutersu|singularity|caraxes|bds_lkm|lkm_rootkit|rootkit)$/i;

/** Every module name the installed kernels ship (from modules.dep, cheap to read). */
async function shippedModules(ctx: DetectorContext, c: Collector): Promise<Set<string> | null> {
  const names = new Set<string>();
  let found = false;
  for (const k of await entriesOf(c, ctx, '/usr/lib/modules')) {
    const dep = await ctx.target.readFile(`${k.path}/modules.dep`, { maxBytes: 16 * 1024 * 1024 }).catch(() => null);
    if (!dep) continue;
    found = true;
    for (const m of dep.toString('utf8').matchAll(/([^/\s:]+)\.ko(\.[gx]z|\.zst)?:/g)) names.add(m[1]!.replace(/-/g, '_'));
  }
  return found ? names : null;
}

function moduleLines(known: Set<string> | null) {
  return (text: string): ConfigCommand[] => {
    const out: ConfigCommand[] = [];
    text.split('\n').forEach((raw, i) => {
      const name = raw.replace(/[#;].*/, '').trim().split(/\s+/)[0];
      if (!name) return;
      const signals = [];
      if (ROOTKITS.test(name)) signals.push({ rule: 'rootkit-module', severity: 'critical' as const, reason: `loads ${name}, a public kernel rootkit` });
      else if (known && !known.has(name.replace(/-/g, '_'))) signals.push({ rule: 'out-of-tree-module', severity: 'medium' as const, reason: `loads ${name}, which no installed kernel ships` });
      // the module name is not a command: judge only the signals
      if (signals.length) out.push({ line: i + 1, raw: raw.trim(), command: '', signals });
    });
    return out;
  };
}

/** modprobe.d `install MODULE COMMAND` runs COMMAND as root instead of loading the module. */
function installLines(text: string): ConfigCommand[] {
  const out: ConfigCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*install\s+(\S+)\s+(.+)$/.exec(raw);
    if (m) out.push({ line: i + 1, raw: raw.trim(), command: m[2]! });
  });
  return out;
}

export const kernelModules: Detector = {
  id: 'kernel-modules',
  title: 'Kernel modules loaded at boot and modprobe install commands',
  category: 'persistence',
  attack: ['T1547.006'],
  locations: ['/etc/modules', ...LOAD_DIRS.map((d) => `${d}/*.conf`), ...MODPROBE_DIRS.map((d) => `${d}/*.conf`), '/usr/lib/modules/*/modules.dep'],
  async run(ctx) {
    const c = new Collector('kernel-modules', 'persistence', ctx.target.name);
    const known = await shippedModules(ctx, c);
    const spec = { detector: 'kernel-modules', attack: 'T1547.006', kind: 'module load list', unownedBase: 'info' as const, runs: 'loaded into the kernel at every boot (systemd-modules-load)' };
    const loadFiles = ['/etc/modules'];
    for (const d of LOAD_DIRS) for (const e of await entriesOf(c, ctx, d)) if (isFileish(e) && e.name.endsWith('.conf')) loadFiles.push(e.path);
    for (const f of loadFiles) await judgeConfigFile(ctx, c, f, spec, moduleLines(known));
    for (const d of MODPROBE_DIRS) {
      for (const e of await entriesOf(c, ctx, d)) {
        if (!isFileish(e) || !e.name.endsWith('.conf')) continue;
        await judgeConfigFile(ctx, c, e.path, { ...spec, kind: 'modprobe install command', unownedBase: 'medium', runs: 'runs as root whenever the module is requested', harmless: /^(\/s?bin\/|\/usr\/s?bin\/)?(true|false)$/ }, installLines);
      }
    }
    return c.result();
  },
};
