import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { canonicalPath } from '../../host/facts/dpkg.js';
import { packageOwner } from '../facts-dpkg.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { entriesOf, isFileish, provenance } from '../rules/judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir } from '../rules/location.js';
import { NORMAL, readLines } from './util.js';

const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/security', '/usr/lib/aarch64-linux-gnu/security', '/usr/lib/security', '/usr/lib64/security', '/lib/x86_64-linux-gnu/security', '/lib/security', '/lib64/security'];

export interface PamLine {
  line: number;
  raw: string;
  type: string;
  control: string;
  module: string;
  args: string[];
}

/** One pam.d line: `type control module args`, `[value=action ...]` controls, `-type` for optional modules. */
export function pamLine(raw: string, line: number): PamLine | null {
  const l = raw.replace(/#.*/, '').trim();
  if (!l || l.startsWith('@include')) return null;
  const m = /^-?(\w+)\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*)$/.exec(l);
  return m ? { line, raw: raw.trim(), type: m[1]!.toLowerCase(), control: m[2]!, module: m[3]!, args: m[4]!.split(/\s+/).filter(Boolean) } : null;
}

export function parsePam(text: string): PamLine[] {
  return text.split('\n').flatMap((raw, i) => pamLine(raw, i + 1) ?? []);
}

/** Stack lines judged per file (a real one has twenty; a padded one is its own finding). */
const KEPT_LINES = 2000;

/** Where the module file really is: an absolute path, or the first module directory that has it. */
async function locate(ctx: DetectorContext, module: string): Promise<string | null> {
  if (module.startsWith('/')) return module;
  for (const d of MODULE_DIRS) if (await ctx.target.stat(`${d}/${module}`).catch(() => null)) return `${d}/${module}`;
  return null;
}

async function judgeLine(ctx: DetectorContext, l: PamLine, missing: Set<string>): Promise<{ severity: Severity; rule: string; reasons: string[] } | null> {
  const reasons: string[] = [];
  let severity: Severity | null = null;
  let rule = '';
  const set = (s: Severity, r: string, why: string) => {
    if (!severity || maxSeverity(severity, s) !== severity) rule = r;
    severity = severity ? maxSeverity(severity, s) : s;
    reasons.push(why);
  };
  const name = l.module.split('/').pop()!;
  if (name === 'pam_permit.so' && l.type === 'auth' && (l.control === 'sufficient' || /success=(ok|done)|default=(ok|done)/.test(l.control))) {
    set('critical', 'permit-auth', `pam_permit as ${l.control} in the auth stack: any password is accepted`);
  }
  if (name === 'pam_exec.so') {
    const prog = l.args.find((a) => a.startsWith('/'));
    set(l.args.includes('expose_authtok') ? 'critical' : 'high', 'pam-exec', `pam_exec runs ${prog ?? 'a program'} at every ${l.type}${l.args.includes('expose_authtok') ? ' and hands it the password (credential capture)' : ''}`);
  }
  if (l.module.startsWith('/') && !MODULE_DIRS.some((d) => l.module.startsWith(d + '/'))) set('high', 'module-path', 'module loaded from outside the PAM module directories');
  if (inWorldWritableDir(l.module) || inHomeDir(l.module) || hiddenComponent(l.module)) set('critical', 'module-path', 'module in a writable or hidden location');
  const file = await locate(ctx, l.module);
  if (file) {
    const owner = await packageOwner(ctx.facts, file);
    if (owner === null) set('high', 'unowned-module', `module ${file} not shipped by any package (a backdoored pam_unix copy looks like this)`);
  } else if (!missing.has(l.module)) {
    missing.add(l.module);
  }
  return severity ? { severity, rule, reasons } : null;
}

export const pam: Detector = {
  id: 'pam',
  title: 'PAM stacks: pam_exec, pam_permit in auth, modules not shipped by a package',
  category: 'credential-access',
  attack: ['T1556.003'],
  locations: ['/etc/pam.d/*', '/etc/pam.conf', ...MODULE_DIRS.map((d) => `${d}/*.so`)],
  async run(ctx) {
    const c = new Collector('pam', 'credential-access', ctx.target.name);
    const files = [{ path: '/etc/pam.conf' }, ...(await entriesOf(c, ctx, '/etc/pam.d')).filter(isFileish)];
    const missing = new Set<string>();
    for (const f of files) {
      const stack: PamLine[] = [];
      let dropped = 0;
      const file = await readLines(ctx.target, c, f.path, { kind: 'PAM configuration', normal: NORMAL.unit }, (raw, n) => {
        const l = pamLine(raw, n);
        if (l && stack.length < KEPT_LINES) stack.push(l);
        else if (l) dropped++;
      });
      if (!file) continue;
      c.examined++;
      if (dropped) c.warn(`${dropped} stack lines after the first ${KEPT_LINES} were not judged`, f.path);
      const prov = await provenance(ctx, f.path, file.stat, file.md5);
      for (const l of stack) {
        const v = await judgeLine(ctx, l, missing);
        if (!v) continue;
        c.add({
          rule: `pam.${v.rule}`,
          key: instanceKey('pam', f.path, `${l.type} ${l.module} ${l.args.join(' ')}`),
          contentHash: contentHash(l.raw),
          severity: v.severity,
          title: `PAM backdoor in ${f.path}: ${v.reasons[0]}`,
          path: f.path,
          line: l.line,
          evidence: clip(l.raw, 300),
          attack: 'T1556.003',
          reason: [...v.reasons, ...prov.notes].join('; '),
          remediation: `Keep a root shell open, preserve ${f.path} and the module (ir collect), restore the stock stack (apt-get install --reinstall libpam-runtime / the owning package), then test a login.`,
          mtime: isoFromEpochSeconds(file.stat.mtime),
          details: { type: l.type, control: l.control, module: l.module, args: l.args },
        });
      }
    }
    // a module dropped next to the real ones is loaded by any stack that names it: list the strays
    const seen = new Set<string>();
    for (const dir of MODULE_DIRS) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (!e.name.endsWith('.so') || e.stat.type !== 'file' || seen.has(canonicalPath(e.path))) continue;
        seen.add(canonicalPath(e.path));
        if ((await packageOwner(ctx.facts, e.path)) !== null) continue;
        if (c.findings.some((f) => f.details?.module === e.name || f.details?.module === e.path)) continue;
        c.add({
          rule: 'pam.unowned-module',
          key: instanceKey('pam', e.path, 'module'),
          contentHash: contentHash(e.stat.size, e.path),
          severity: 'medium',
          title: `PAM module not shipped by any package: ${e.path}`,
          path: e.path,
          evidence: `${e.path} size ${e.stat.size}`,
          attack: 'T1556.003',
          reason: 'not referenced by a stack now, but ready to be',
          mtime: isoFromEpochSeconds(e.stat.mtime),
        });
      }
    }
    return c.result();
  },
};
