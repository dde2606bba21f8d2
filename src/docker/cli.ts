import { IrError } from '../core/errors.js';
import type { ExecOptions, ExecResult, Target } from '../host/target.js';
import { TargetError } from '../host/target.js';

/** Docker is missing or its daemon does not answer: sections that need it are skipped with this reason. */
export class DockerUnavailable extends IrError {
  constructor(message: string) {
    super(message);
    this.name = 'DockerUnavailable';
  }
}

/** The engine's read-only queries whose answers one run may share (`docker info` asked by the evidence and by the inventory). */
const QUERIES = new Set(['info', 'version', 'ps', 'inspect']);
const shared = new WeakMap<Target, Map<string, Promise<ExecResult>>>();

/**
 * From now on, the same read-only query of the engine on `target` (`docker info`, `docker ps …`,
 * `docker inspect …`, by exact argv) runs once and every caller gets that answer: one run of collect
 * asks `docker info` for its evidence and for the containers' storage, and both must describe the same
 * engine. Opt-in per target, for one run: isolation asks again before and after its cut.
 */
export function shareEngineQueries(target: Target): void {
  if (!shared.has(target)) shared.set(target, new Map());
}

function run(target: Target, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const memo = shared.get(target);
  const plain = !opts.stdoutTo && !opts.stderrTo && opts.input === undefined && !opts.stdin;
  const key = memo && plain && QUERIES.has(argv[1] ?? '') ? JSON.stringify(argv) : undefined;
  const had = key ? memo!.get(key) : undefined;
  if (had) return had;
  const p = target.exec(argv, { privileged: true, ...opts });
  // a failure too is the run's one answer (docker missing: asked again, it would cost a round trip)
  if (key) memo!.set(key, p);
  return p;
}

/** Runs `docker ARGS` on the target (DOCKER_HOST is honoured locally). Daemon errors become DockerUnavailable. */
export async function docker(target: Target, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  let res: ExecResult;
  try {
    res = await run(target, ['docker', ...args], opts);
  } catch (err) {
    if (err instanceof TargetError && err.code === 'ENOENT') throw new DockerUnavailable(`docker is not installed on ${target.name}`);
    throw err;
  }
  const stderr = res.stderr.toString('utf8');
  if (res.code !== 0 && /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(stderr)) {
    throw new DockerUnavailable(`the Docker daemon on ${target.name} does not answer (${stderr.trim().split('\n')[0]})`);
  }
  if (res.code !== 0 && /permission denied while trying to connect to the Docker daemon/i.test(stderr)) {
    throw new DockerUnavailable(`no permission to use Docker on ${target.name} (use --sudo or a member of the docker group)`);
  }
  return res;
}

/** Like docker() but a non-zero exit is an error naming the command and docker's first stderr line. */
export async function dockerOk(target: Target, args: string[], opts: ExecOptions = {}): Promise<string> {
  const res = await docker(target, args, opts);
  if (res.code !== 0) {
    throw new TargetError('IO', `docker ${args.slice(0, 3).join(' ')}: ${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code}`}`);
  }
  return res.stdout.toString('utf8');
}

/** How composeFlavor asks for Compose v2 (a batch can run it up front). */
export const COMPOSE_V2_VERSION = ['docker', 'compose', 'version'];

export type ComposeFlavor = { kind: 'v2'; argv: string[] } | { kind: 'v1'; argv: string[] };

/** `docker compose` (v2) where the host has it, else `docker-compose` (v1); null when neither. */
export async function composeFlavor(target: Target): Promise<ComposeFlavor | null> {
  try {
    const v2 = await target.exec(COMPOSE_V2_VERSION, { privileged: true, timeoutMs: 15_000 });
    if (v2.code === 0 && /version/i.test(v2.stdout.toString())) return { kind: 'v2', argv: ['docker', 'compose'] };
  } catch {
    /* no docker client */
  }
  try {
    const v1 = await target.exec(['docker-compose', 'version'], { privileged: true, timeoutMs: 15_000 });
    if (v1.code === 0) return { kind: 'v1', argv: ['docker-compose'] };
  } catch {
    /* not installed */
  }
  return null;
}
