import { posix } from 'node:path';
import { composeFlavor, DockerUnavailable } from '../docker/cli.js';
import { composeProjects, type ComposeProject } from '../docker/compose.js';
import { CONTAINER_VIEWS, composeConfig, containerLogs, containerView, engineFacts } from '../docker/evidence.js';
import { DEFAULT_LAYER_LIMITS, containerBase, storeContainerLayer, storeContainerTmpfs, type LayerLimits } from '../docker/layer-evidence.js';
import { containerInventory, type Inventory } from '../docker/storage.js';
import type { ExecResult } from '../host/target.js';
import { isMissing } from '../host/target.js';
import { collectPath, } from './files.js';
import { checkAlive, type CollectContext } from './context.js';


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

/** Every container of every Compose project (or --project): logs, inspect, diff, top, the project's compose config, its writable layer. */
export async function collectDocker(ctx: CollectContext, opts: { project?: string; includeSecrets: boolean; since?: Date; layerLimits?: LayerLimits }): Promise<number> {
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
  let projects: ComposeProject[];
  try {
    projects = await composeProjects(target);
    for (const f of await engineFacts(target)) await writer.addCommand(`docker/engine/${f.name}`, f.res);
  } catch (err) {
    if (err instanceof DockerUnavailable) writer.skip('docker', err.message);
    else {
      await checkAlive(ctx, err);
      writer.fail('docker', (err as Error).message);
    }
    return 0;
  }
  const inv = await inventoryOrNote(ctx);
  if (opts.project) {
    projects = projects.filter((p) => p.name === opts.project);
    if (projects.length === 0) writer.skip(`docker/${opts.project}`, `no Compose project named ${opts.project} on ${target.name}`);
  }
  const flavor = await composeFlavor(target);
  let containers = 0;
  for (const p of projects) {
    const base = `docker/${safe(p.name)}`;
    writer.note(`docker: project ${p.name}, ${p.containers.length} container(s), files ${p.configFiles.join(', ') || '?'}`);
    await projectEnv(ctx, p, base, opts.includeSecrets);
    for (const f of p.configFiles) await collectPath(ctx, f);
    for (const c of p.containers) {
      const cbase = `${base}/${safe(c.name)}`;
      ctx.tick(`docker ${c.name}`);
      try {
        // streamed through a spool file into the archive: a container's log can be larger than memory
        const logs = await writer.addCommandSpooled(`${cbase}/logs`, (s) => containerLogs(target, c, { since: opts.since, maxBytes: ctx.maxFileSize, sinks: s }));
        if ((logs.stdoutBytes ?? 0) >= ctx.maxFileSize) writer.note(`${cbase}/logs: cut at ${logs.stdoutBytes} bytes (--max-file-size)`);
        if ((logs.stderrBytes ?? 0) >= ctx.maxFileSize) writer.note(`${cbase}/logs.stderr: cut at ${logs.stderrBytes} bytes (--max-file-size)`);
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
