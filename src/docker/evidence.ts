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

/** `compose config` of a project from the files its labels name (v2 and v1 alike). */
export async function composeConfig(target: Target, flavor: ComposeFlavor, p: ComposeProject): Promise<ExecResult> {
  const files = p.configFiles.flatMap((f) => ['-f', f]);
  const dir = p.workingDir ? ['--project-directory', p.workingDir] : [];
  const argv = [...flavor.argv, '-p', p.name, ...dir, ...files, 'config'];
  return target.exec(argv, { privileged: true, timeoutMs: 60_000 });
}

/** `docker version` and `docker info`, the engine the containers ran on. */
export async function engineFacts(target: Target): Promise<{ name: string; res: ExecResult }[]> {
  return [
    { name: 'version.json', res: await docker(target, ['version', '--format', '{{json .}}']) },
    { name: 'info.json', res: await docker(target, ['info', '--format', '{{json .}}']) },
    { name: 'ps.jsonl', res: await docker(target, ['ps', '-a', '--no-trunc', '--format', '{{json .}}']) },
  ];
}
