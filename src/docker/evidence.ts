import type { ExecResult, Target } from '../host/target.js';
import { docker, type ComposeFlavor } from './cli.js';
import type { ComposeProject, ContainerRow } from './compose.js';

/** Read-only views of one container that evidence keeps, each a command with its own result. */
export const CONTAINER_VIEWS = [
  { name: 'inspect.json', args: (id: string) => ['inspect', '--type', 'container', id] },
  { name: 'diff.txt', args: (id: string) => ['diff', id] },
  { name: 'top.txt', args: (id: string) => ['top', id, '-eo', 'pid,ppid,user,lstart,args'] },
] as const;

/**
 * `docker logs --timestamps`: docker writes the container's stdout to its stdout and the container's
 * stderr to its stderr, so the two streams stay apart. Each is written to its sink as it comes (the
 * evidence writer's spools: logs can be larger than memory); maxBytes caps each (the caller records
 * a cut).
 */
export function containerLogs(target: Target, c: ContainerRow, opts: { since?: Date; maxBytes: number; sinks: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } }): Promise<ExecResult> {
  const args = ['logs', '--timestamps', ...(opts.since ? ['--since', opts.since.toISOString()] : []), c.id];
  return docker(target, args, { maxBuffer: opts.maxBytes, timeoutMs: 600_000, stdoutTo: opts.sinks.stdout, stderrTo: opts.sinks.stderr });
}

export function containerView(target: Target, args: string[]): Promise<ExecResult> {
  return docker(target, args, { maxBuffer: 64 * 1024 * 1024, timeoutMs: 120_000 });
}

/** The command line of `compose config` for a project, from the files its labels name (v2 and v1 alike). */
export function composeConfigArgv(flavor: ComposeFlavor, p: ComposeProject): string[] {
  const files = p.configFiles.flatMap((f) => ['-f', f]);
  const dir = p.workingDir ? ['--project-directory', p.workingDir] : [];
  return [...flavor.argv, '-p', p.name, ...dir, ...files, 'config'];
}

export async function composeConfig(target: Target, flavor: ComposeFlavor, p: ComposeProject): Promise<ExecResult> {
  return target.exec(composeConfigArgv(flavor, p), { privileged: true, timeoutMs: 60_000 });
}

/** The engine the containers ran on: `docker version`, `docker info`, every container (arguments after `docker`). */
export const ENGINE_FACTS = [
  { name: 'version.json', args: ['version', '--format', '{{json .}}'] },
  { name: 'info.json', args: ['info', '--format', '{{json .}}'] },
  { name: 'ps.jsonl', args: ['ps', '-a', '--no-trunc', '--format', '{{json .}}'] },
] as const;

export async function engineFacts(target: Target): Promise<{ name: string; res: ExecResult }[]> {
  const out: { name: string; res: ExecResult }[] = [];
  for (const f of ENGINE_FACTS) out.push({ name: f.name, res: await docker(target, [...f.args]) });
  return out;
}
