import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectFleetHost, fleetHosts, type FleetFlagValues } from '../host/fleet.js';
import type { TargetFlagValues } from '../host/flags.js';
import type { InventoryHost } from '../host/inventory.js';
import { UserError } from '../core/errors.js';
import { compactUtc, utcNow } from '../core/time.js';
import { writeCaseReport } from '../report/write.js';
import { CASE_PLAYBOOK, hostDirName, readCaseMeta, writeCaseMeta, type CaseMeta } from '../case/case.js';
import type { Catalog } from './catalog.js';
import { checkPlaybook, findPlaybook, PlaybookError, type LoadedPlaybook } from './load.js';
import { changingSteps, hostsOf, hostVars, missingInput, type RunnerOptions, type TargetArg } from './runner.js';
import { REPORT_COMMAND, varDefaults, type Playbook } from './schema.js';

export interface RunFlags extends TargetFlagValues, FleetFlagValues {
  case?: string;
  playbooks?: string;
  set?: string[];
  'dry-run'?: boolean;
  resume?: string;
}

/** `--set a=b` pairs over the playbook's vars; an unknown name is an error naming the known ones. */
export function varsFrom(pb: Playbook, set: string[] = []): Record<string, string | null> {
  const vars = varDefaults(pb);
  for (const kv of set) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/s.exec(kv);
    if (!m) throw new UserError(`--set ${kv}: expected NAME=VALUE`);
    if (!(m[1]! in vars)) throw new UserError(`--set ${m[1]}: ${pb.name} has no variable ${m[1]}`, `known: ${Object.keys(vars).join(', ') || 'none'}`);
    vars[m[1]!] = m[2]!;
  }
  return vars;
}

function targetArgsFrom(f: TargetFlagValues): TargetArg[] {
  const out: TargetArg[] = [];
  if (f.root) out.push({ name: 'root', value: resolve(f.root) });
  if (f.identity) out.push({ name: 'identity', value: resolve(f.identity) });
  if (f['known-hosts']) out.push({ name: 'known-hosts', value: resolve(f['known-hosts']) });
  if (f['ssh-config']) out.push({ name: 'ssh-config', value: resolve(f['ssh-config']) });
  if (f['accept-new']) out.push({ name: 'accept-new', value: true });
  if (f.sudo) out.push({ name: 'sudo', value: true });
  if (f['connect-timeout'] !== undefined) out.push({ name: 'connect-timeout', value: f['connect-timeout'] });
  return out;
}

/** Everything `ir playbook run` needs, from its flags or from the case it resumes. */
export function prepareRun(nameOrPath: string | undefined, f: RunFlags, catalog: Catalog, cli: string[]): { options: RunnerOptions; changing: string[]; writeMeta: () => void } {
  let loaded: LoadedPlaybook;
  let meta: CaseMeta;
  let hosts: InventoryHost[];
  let caseDir: string;
  if (f.resume) {
    caseDir = resolve(f.resume);
    meta = readCaseMeta(caseDir);
    const file = resolve(caseDir, CASE_PLAYBOOK);
    const text = readFileSync(file, 'utf8');
    const { playbook, issues } = checkPlaybook(text, file, catalog);
    if (!playbook || issues.length) throw new PlaybookError(issues);
    if (nameOrPath && nameOrPath !== playbook.name) throw new UserError(`--resume ${f.resume} is a case of ${playbook.name}, not ${nameOrPath}`);
    loaded = { playbook, file, text, origin: 'file' };
    // a one-host case of this machine or an image has no spec: run it as it was, without --host
    hosts = meta.hosts.filter((h) => h.spec).map((h) => ({ label: h.label, spec: h.spec!, groups: h.groups, ...(h.identity ? { identity: h.identity } : {}) }));
  } else {
    if (!nameOrPath) throw new UserError('name a playbook (ir playbook list), or give --resume CASE');
    loaded = findPlaybook(nameOrPath, f.playbooks, catalog);
    hosts = fleetHosts(f);
    const fleet = hosts.length > 1 || Boolean(f.hosts);
    const startedAt = utcNow();
    const id = `${loaded.playbook.name}-${compactUtc(new Date(startedAt))}`;
    caseDir = resolve(f.case ?? `cases/${id}`);
    if (!f['dry-run'] && existsSync(resolve(caseDir, 'case.json'))) throw new UserError(`${caseDir} already holds a case`, 'continue it with --resume, or give another --case');
    meta = {
      kind: 'ir-case',
      id,
      playbook: loaded.playbook.name,
      version: loaded.playbook.version,
      playbookSha256: createHash('sha256').update(loaded.text).digest('hex'),
      startedAt,
      fleet,
      hosts: (hosts.length ? hosts : [{ label: f.root ? 'image' : 'local', spec: '', groups: [] }]).map((h) => ({ label: h.label, ...(h.spec ? { spec: h.spec } : {}), ...(h.identity ? { identity: h.identity } : {}), groups: h.groups, dir: fleet ? `hosts/${hostDirName(h.label)}` : '.' })),
      target: hosts.length ? 'ssh' : f.root ? 'image' : 'local',
      ...(f.root ? { root: resolve(f.root) } : {}),
      targetArgs: targetArgsFrom(f),
      vars: varsFrom(loaded.playbook, f.set),
    };
  }
  const fresh = !f.resume && !f['dry-run'];
  const metaToWrite = meta;
  const textToWrite = loaded.text;
  const dirToWrite = caseDir;
  const writeMeta = (): void => {
    if (fresh) writeCaseMeta(dirToWrite, metaToWrite, textToWrite);
  };
  const reportStep = loaded.playbook.steps.find((s) => s.command === REPORT_COMMAND);
  const formats = reportStep ? (([] as unknown[]).concat(reportStep.with.formats ?? ['md', 'html']).map(String) as ('md' | 'html')[]) : [];
  const compareLastRun = reportStep?.with.compare === 'last_run';
  const tf: TargetFlagValues = { identity: f.identity, 'known-hosts': f['known-hosts'], 'accept-new': f['accept-new'], sudo: f.sudo, 'ssh-config': f['ssh-config'], 'connect-timeout': f['connect-timeout'] };
  if (f.resume) {
    for (const t of meta.targetArgs) (tf as Record<string, unknown>)[t.name] = t.value;
  }
  const options: RunnerOptions = {
    playbook: loaded.playbook,
    catalog,
    hosts,
    fleet: meta.fleet,
    kind: meta.target,
    targetArgs: meta.targetArgs,
    caseDir,
    caseId: meta.id,
    startedAt: meta.startedAt,
    vars: meta.vars,
    concurrency: f.concurrency ?? 5,
    dryRun: Boolean(f['dry-run']),
    ...(f.resume ? { resume: meta } : {}),
    cli,
    preflight: async (h) => {
      const t = await connectFleetHost(h, tf);
      await t.close();
    },
    writeReport: async (dir) => {
      const { files, report } = writeCaseReport(dir, { formats, compareLastRun });
      return { files, verdict: report.verdict };
    },
  };
  // one host whose accepted baseline is missing: refused with one line, nothing run, no case written
  // (in a fleet it is that host's error row, and the others go on)
  if (!meta.fleet) {
    const missing = missingInput(options, hostVars(options, hostsOf(options)[0]!));
    if (missing) throw new UserError(missing);
  }
  const changing = changingSteps(loaded.playbook, meta.vars, meta.target).map((s) => s.name);
  return { options, changing, writeMeta };
}
