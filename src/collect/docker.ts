import { posix } from 'node:path';
import { COMPOSE_V2_VERSION, composeFlavor, docker, DockerUnavailable, shareEngineQueries, type ComposeFlavor } from '../docker/cli.js';
import { COMPOSE_PS, composeProjects, type ComposeProject } from '../docker/compose.js';
import { CONTAINER_VIEWS, ENGINE_FACTS, composeConfig, composeConfigArgv, containerLogs, containerView, engineFacts } from '../docker/evidence.js';
import { DEFAULT_LAYER_LIMITS, containerBase, storeContainerLayer, storeContainerTmpfs, type LayerLimits } from '../docker/layer-evidence.js';
import { containerInventory, type Inventory } from '../docker/storage.js';
import type { ExecResult } from '../host/target.js';
import { isMissing } from '../host/target.js';
import type { SpooledCommand } from '../evidence/writer.js';
import { collectPath } from './files.js';
import { checkAlive, type CollectContext } from './context.js';

/** What the containers' storage (docker/storage.ts, fromEngine) asks the engine, by the same arguments. */
const STORAGE_PS = ['ps', '-a', '-q', '--no-trunc'];
const STORAGE_QUERIES = [['info', '--format', '{{json .}}'], STORAGE_PS];

/**
 * The engine's answers collectDocker needs before it knows any container, by exact argv: declared for
 * the collection's first batch, so over ssh they come with it instead of one round trip each.
 */
export function dockerQueries(): string[][] {
  const all = new Map<string, string[]>();
  for (const args of [COMPOSE_PS, ...ENGINE_FACTS.map((f) => [...f.args]), ...STORAGE_QUERIES]) all.set(JSON.stringify(args), ['docker', ...args]);
  return [...all.values(), COMPOSE_V2_VERSION];
}

/** Containers whose logs run at once, ahead of the one being stored (each holds its spool files until stored). */
const LOGS_AHEAD = 4;

/**
 * Runs `jobs` in order, at most `n` started and not yet done with: `get(i)` is the settled result of
 * job i (asked in order), `done()` says the oldest is stored, so the next one may start.
 */
interface Ahead<T> {
  get(i: number): Promise<{ value: T } | { err: unknown }>;
  done(): void;
}

function ahead<T>(jobs: (() => Promise<T>)[], n: number): Ahead<T> {
  const started: Promise<{ value: T } | { err: unknown }>[] = [];
  let finished = 0;
  const more = () => {
    while (started.length < jobs.length && started.length < finished + n) {
      started.push(
        jobs[started.length]!().then(
          (value) => ({ value }),
          (err: unknown) => ({ err }),
        ),
      );
    }
  };
  more();
  return {
    get: (i) => started[i]!,
    done: () => {
      finished++;
      more();
    },
  };
}

/** A path a declaration can carry as it is (no glob character, no space: see host/batch/declared.ts). */
const plainPath = (p: string) => /^\/[A-Za-z0-9._/-]*$/.test(p) && !p.split('/').includes('..');

/**
 * Over ssh, what the rest of collectDocker asks once the projects are known, in one more batch: every
 * container's inspect, diff and top, each project's compose config and files, the inventory's inspect
 * of all containers. Each is then answered from it, in the order the evidence is written.
 */
async function askAhead(ctx: CollectContext, projects: ComposeProject[], flavor: ComposeFlavor | null): Promise<void> {
  const t = ctx.target;
  if (!t.prefetch) return;
  const commands: string[][] = [];
  const ids = await docker(t, STORAGE_PS, { timeoutMs: 30_000 })
    .then((r) => (r.code === 0 ? r.stdout.toString('utf8').split('\n').filter(Boolean) : []))
    .catch(() => []);
  if (ids.length) commands.push(['docker', 'inspect', '--type', 'container', ...ids]);
  const paths: string[] = [];
  for (const p of projects) {
    if (p.workingDir) paths.push(posix.join(p.workingDir, '.env'));
    paths.push(...p.configFiles);
    for (const c of p.containers) for (const v of CONTAINER_VIEWS) commands.push(['docker', ...v.args(c.id)]);
    if (flavor) commands.push(composeConfigArgv(flavor, p));
  }
  if (commands.length === 0) return;
  await t.prefetch({ paths: paths.filter(plainPath), commands });
}


function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}

function withStdout(res: ExecResult, stdout: string): ExecResult {
  return { ...res, stdout: Buffer.from(stdout) };
}

/** Redacts Config.Env of `docker inspect` output, learning the values so compose config loses them too. */
function redactInspect(ctx: CollectContext, json: string): { text: string; count: number } {
  let count = 0;
  try {
    const arr = JSON.parse(json) as { Config?: { Env?: string[] } }[];
    for (const c of arr) {
      if (!c.Config?.Env) continue;
      const r = ctx.redactor.envList(c.Config.Env);
      c.Config.Env = r.entries;
      count += r.count;
    }
    const rest = ctx.redactor.text(JSON.stringify(arr, null, 2));
    return { text: rest.text + '\n', count: count + rest.count };
  } catch {
    return ctx.redactor.text(json);
  }
}

async function projectEnv(ctx: CollectContext, p: ComposeProject, base: string, includeSecrets: boolean): Promise<void> {
  if (!p.workingDir) return;
  const envPath = posix.join(p.workingDir, '.env');
  if (includeSecrets) {
    await collectPath(ctx, envPath);
    return;
  }
  try {
    const text = (await ctx.target.readFile(envPath, { maxBytes: 1 << 20 })).toString('utf8');
    const names = ctx.redactor.learnEnvFile(text);
    await ctx.writer.addBuffer(`${base}/env-names.txt`, Buffer.from(names.join('\n') + (names.length ? '\n' : '')), { source: `${envPath} (names only; values withheld without --include-secrets)`, mode: 0o644 });
    ctx.stored.add(envPath);
  } catch (err) {
    if (isMissing(err)) return;
    await checkAlive(ctx, err);
    ctx.writer.notRead(envPath, err);
  }
}

/**
 * The writable layer of each container (docker/<project>/<container>/layer/…), live or from the data
 * root of an offline image: what `compose down` destroys. Containers outside Compose go under docker/_/.
 */
async function collectLayers(ctx: CollectContext, opts: { project?: string; layerLimits?: LayerLimits }, inv: Inventory | null): Promise<number> {
  if (!inv) return 0;
  const limits = opts.layerLimits ?? DEFAULT_LAYER_LIMITS;
  let n = 0;
  for (const n2 of inv.notes) ctx.writer.note(`docker: ${n2}`);
  const chosen = inv.containers.filter((c) => !opts.project || c.project === opts.project).sort((a, b) => containerBase(a).localeCompare(containerBase(b)));
  ctx.writer.note(`docker: writable layers of ${chosen.length} container(s) (${inv.source === 'docker' ? 'engine' : 'data root'} ${inv.dataRoot}, ${inv.imageStore} image store; at most ${limits.maxFile} bytes per file, ${limits.maxContainer} per container)`);
  for (const c of chosen) {
    ctx.tick(`docker ${c.name} layer`);
    try {
      if (ctx.target.live) await storeContainerTmpfs(ctx.target, c, ctx.writer, limits);
      await storeContainerLayer(ctx.target, c, ctx.writer, limits, (what) => ctx.tick(what));
      n++;
    } catch (err) {
      await checkAlive(ctx, err);
      ctx.writer.notRead(`${containerBase(c)}/layer`, err);
    }
  }
  return n;
}

async function inventoryOrNote(ctx: CollectContext): Promise<Inventory | null> {
  try {
    return await containerInventory(ctx.target);
  } catch (err) {
    await checkAlive(ctx, err);
    ctx.writer.fail('docker/layers', `containers could not be listed: ${(err as Error).message}`);
    return null;
  }
}

/** What collectDocker needs from the engine before it writes anything. */
export interface DockerAnswers {
  /** every Compose project, before --project chooses */
  all: ComposeProject[];
  flavor: ComposeFlavor | null;
  /** the chosen containers' logs, already running into their spools */
  logs: Ahead<SpooledCommand>;
}

type DockerOptions = { project?: string; includeSecrets: boolean; since?: Date; layerLimits?: LayerLimits };

const chosen = (all: ComposeProject[], project?: string) => (project ? all.filter((p) => p.name === project) : all);

/**
 * Each container's logs are their own command (streamed: they can be larger than memory): a few run
 * ahead of the one being stored, each into its own spool, stored in the containers' order.
 */
function startLogs(ctx: CollectContext, projects: ComposeProject[], opts: { since?: Date }): Ahead<SpooledCommand> {
  return ahead(
    projects.flatMap((p) => p.containers).map((c) => () => ctx.writer.spoolCommand((s) => containerLogs(ctx.target, c, { since: opts.since, maxBytes: ctx.maxFileSize, sinks: s }))),
    LOGS_AHEAD,
  );
}

/**
 * Asks the engine, before anything is written, what collectDocker will store: the projects and the
 * engine's facts (one answer each for the run), Compose's flavor, over ssh the second batch
 * (askAhead), and starts the first containers' logs. Never throws: collectDocker asks again (the same
 * answers) and records what failed. collect runs it while the process bodies are read, which go to
 * the host itself and never through the snapshot a batch merges into.
 */
export async function askDocker(ctx: CollectContext, opts: { project?: string; since?: Date }): Promise<DockerAnswers | null> {
  const t = ctx.target;
  if (!t.live) return null;
  shareEngineQueries(t);
  let all: ComposeProject[];
  try {
    all = await composeProjects(t);
    await engineFacts(t);
  } catch {
    return null;
  }
  const flavor = await composeFlavor(t);
  const logs = startLogs(ctx, chosen(all, opts.project), opts);
  await askAhead(ctx, chosen(all, opts.project), flavor).catch(() => {});
  return { all, flavor, logs };
}

/**
 * Every container of every Compose project (or --project): logs, inspect, diff, top, the project's
 * compose config, its writable layer. `asked`: askDocker already ran (its answers are used).
 */
export async function collectDocker(ctx: CollectContext, opts: DockerOptions, asked?: Promise<DockerAnswers | null>): Promise<number> {
  const { target, writer } = ctx;
  if (!target.live) {
    const inv = await inventoryOrNote(ctx);
    if (!inv || inv.containers.length === 0) {
      writer.note('docker: offline image, no container found in its data root');
      return 0;
    }
    writer.note('docker: offline image, no engine to ask: the writable layers are read from the data root (logs and inspect are not collected)');
    return collectLayers(ctx, opts, inv);
  }
  // one answer per query for the whole run: the evidence and the inventory describe the same engine
  shareEngineQueries(target);
  const answers = await asked;
  let projects: ComposeProject[];
  try {
    projects = answers?.all ?? (await composeProjects(target));
    for (const f of await engineFacts(target)) await writer.addCommand(`docker/engine/${f.name}`, f.res);
  } catch (err) {
    if (err instanceof DockerUnavailable) writer.skip('docker', err.message);
    else {
      await checkAlive(ctx, err);
      writer.fail('docker', (err as Error).message);
    }
    return 0;
  }
  if (opts.project) {
    projects = chosen(projects, opts.project);
    if (projects.length === 0) writer.skip(`docker/${opts.project}`, `no Compose project named ${opts.project} on ${target.name}`);
  }
  const flavor = answers ? answers.flavor : await composeFlavor(target);
  if (!answers) await askAhead(ctx, projects, flavor);
  const inv = await inventoryOrNote(ctx);
  const logs = answers?.logs ?? startLogs(ctx, projects, opts);
  let k = 0;
  let containers = 0;
  for (const p of projects) {
    const base = `docker/${safe(p.name)}`;
    writer.note(`docker: project ${p.name}, ${p.containers.length} container(s), files ${p.configFiles.join(', ') || '?'}`);
    await projectEnv(ctx, p, base, opts.includeSecrets);
    for (const f of p.configFiles) await collectPath(ctx, f);
    for (const c of p.containers) {
      const cbase = `${base}/${safe(c.name)}`;
      ctx.tick(`docker ${c.name}`);
      const spooled = logs.get(k++);
      try {
        const got = await spooled;
        if ('err' in got) throw got.err;
        try {
          await got.value.store(`${cbase}/logs`);
        } finally {
          logs.done();
        }
        const res = got.value.res;
        if ((res.stdoutBytes ?? 0) >= ctx.maxFileSize) writer.note(`${cbase}/logs: cut at ${res.stdoutBytes} bytes (--max-file-size)`);
        if ((res.stderrBytes ?? 0) >= ctx.maxFileSize) writer.note(`${cbase}/logs.stderr: cut at ${res.stderrBytes} bytes (--max-file-size)`);
        for (const v of CONTAINER_VIEWS) {
          let res = await containerView(target, v.args(c.id));
          if (v.name === 'inspect.json') {
            const r = redactInspect(ctx, res.stdout.toString('utf8'));
            if (r.count) writer.note(`${cbase}/${v.name}: ${r.count} secret value(s) in Config.Env redacted`);
            res = withStdout(res, r.text);
          }
          await writer.addCommand(`${cbase}/${v.name}`, res);
        }
        containers++;
      } catch (err) {
        if ('err' in (await spooled)) logs.done();
        await checkAlive(ctx, err);
        writer.notRead(`docker:${c.name}`, err);
      }
    }
    if (!flavor) {
      writer.skip(`${base}/compose-config.yaml`, 'neither docker compose nor docker-compose is installed');
      continue;
    }
    try {
      const res = await composeConfig(target, flavor, p);
      const r = ctx.redactor.yamlText(res.stdout.toString('utf8'));
      if (r.count) writer.note(`${base}/compose-config.yaml: ${r.count} secret value(s) redacted`);
      await writer.addCommand(`${base}/compose-config.yaml`, withStdout(res, r.text));
    } catch (err) {
      await checkAlive(ctx, err);
      writer.notRead(`${base}/compose-config.yaml`, err);
    }
  }
  await collectLayers(ctx, opts, inv);
  return containers;
}
