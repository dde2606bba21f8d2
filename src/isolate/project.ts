import { posix } from 'node:path';
import { composeProjects, type ComposeProject } from '../docker/compose.js';
import { composeFlavor } from '../docker/cli.js';
import type { Target } from '../host/target.js';
import { UserError } from '../core/errors.js';
import type { ComposeCall, ProjectRef } from './schema.js';

export interface ProjectChoice {
  project?: string;
  file?: string;
  dir?: string;
}

/** v1 may record config files relative to the working dir; v2 records absolute paths. */
export function absoluteConfigFiles(p: { workingDir?: string; configFiles: string[] }): string[] {
  return p.configFiles.map((f) => (posix.isAbsolute(f) || !p.workingDir ? f : posix.join(p.workingDir, f)));
}

function describe(projects: ComposeProject[]): string {
  return projects.map((p) => `${p.name} (${p.containers.filter((c) => c.state === 'running').length}/${p.containers.length} running)`).join(', ');
}

/**
 * The Compose project to isolate, found from the containers' `com.docker.compose.*` labels: by name,
 * by one of its config files, or by its working directory; alone when only one project runs.
 */
export async function findProject(target: Target, choice: ProjectChoice): Promise<ComposeProject> {
  const all = await composeProjects(target);
  if (choice.project) {
    const p = all.find((x) => x.name === choice.project);
    if (!p) throw new UserError(`no Compose project named ${choice.project} on ${target.name}`, all.length ? `projects with containers: ${describe(all)}` : 'no container carries com.docker.compose.project');
    return p;
  }
  if (choice.file) {
    const file = choice.file;
    const st = await target.stat(file);
    if (!st) throw new UserError(`compose file ${file} does not exist on ${target.name}`);
    if (st.type !== 'file') throw new UserError(`compose file ${file} is not a regular file`);
    const abs = posix.isAbsolute(file) ? posix.normalize(file) : file;
    const p = all.find((x) => absoluteConfigFiles(x).some((f) => f === abs || (!posix.isAbsolute(file) && f.endsWith(`/${file}`))));
    if (!p) {
      const why = await composeFileError(target, file);
      if (why) throw new UserError(`compose file ${file} is not valid: ${why}`);
    }
    if (!p) throw new UserError(`no running Compose project was started from ${file}`, all.length ? `projects: ${describe(all)}; use --project` : 'no container carries com.docker.compose.project');
    return p;
  }
  if (choice.dir) {
    const dir = posix.normalize(choice.dir).replace(/\/$/, '');
    const p = all.find((x) => x.workingDir === dir);
    if (!p) throw new UserError(`no Compose project has working directory ${dir}`, all.length ? `projects: ${describe(all)}` : undefined);
    return p;
  }
  const running = all.filter((p) => p.containers.some((c) => c.state === 'running' || c.state === 'paused'));
  if (running.length === 1) return running[0]!;
  if (running.length === 0) throw new UserError(`no running Compose project on ${target.name}`, all.length ? `stopped projects: ${describe(all)}; name one with --project` : undefined);
  throw new UserError(`${running.length} Compose projects run on ${target.name}: ${describe(running)}`, 'choose one with --project NAME, -f COMPOSE_FILE or --dir DIR');
}

/** The first error line compose gives for a file, or null when it parses (or no compose is installed). */
async function composeFileError(target: Target, file: string): Promise<string | null> {
  const flavor = await composeFlavor(target);
  if (!flavor) return null;
  const res = await target.exec([...flavor.argv, '-f', file, 'config', '-q'], { privileged: true, timeoutMs: 30_000 });
  if (res.code === 0) return null;
  return res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code}`;
}

export function projectRef(p: ComposeProject): ProjectRef {
  return { name: p.name, workingDir: p.workingDir, configFiles: absoluteConfigFiles(p) };
}

/**
 * The compose command line for this project: `docker compose` (v2) or `docker-compose` (v1), whichever the
 * host has, with -p, every -f and --project-directory, so it acts on the same project from any cwd.
 */
export async function composeCall(target: Target, ref: ProjectRef, opts: { needFiles: boolean }): Promise<ComposeCall | null> {
  const flavor = await composeFlavor(target);
  if (!flavor) {
    if (opts.needFiles) throw new UserError(`neither docker compose nor docker-compose is installed on ${target.name}`, 'use --mode stop, pause or network, which need only docker');
    return null;
  }
  const argv = [...flavor.argv, '-p', ref.name];
  for (const f of ref.configFiles) argv.push('-f', f);
  if (ref.workingDir) argv.push('--project-directory', ref.workingDir);
  if (opts.needFiles) {
    for (const f of ref.configFiles) {
      if (!(await target.stat(f))) throw new UserError(`compose file ${f} of project ${ref.name} is gone from ${target.name}: after down, compose up could not bring it back`, 'use --mode stop, pause or network');
    }
    // an invalid compose file would make `up` fail at restore time: find out now, before anything is removed
    const res = await target.exec([...argv, 'config', '-q'], { privileged: true, timeoutMs: 30_000 });
    if (res.code !== 0) throw new UserError(`compose file of project ${ref.name} is not valid: ${res.stderr.toString('utf8').trim().split('\n')[0] ?? `exit ${res.code}`}`);
  }
  return { flavor: flavor.kind, argv };
}
