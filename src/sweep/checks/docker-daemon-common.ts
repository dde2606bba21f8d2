import { broken, na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { daemonConfig, type DaemonConfig } from '../facts/docker.js';

export const DAEMON_SOURCE = 'Setup guide §5 Configure Docker Daemon Security';
const DOCKERD = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd'];

/** daemon.json checks apply where dockerd is installed (or a daemon.json exists); a broken JSON is reported with its line. */
export async function withDaemon(ctx: SweepContext, fn: (d: DaemonConfig) => Outcome): Promise<Outcome> {
  const d = await daemonConfig(ctx);
  if (!d.exists) {
    let installed = d.flags.length > 0;
    for (const p of DOCKERD) if (!installed && (await ctx.target.stat(p).catch(() => null))) installed = true;
    if (!installed) return na('Docker is not installed (no dockerd)', DOCKERD.join(', '));
  }
  if (d.problem) return broken(d.problem.message, d.path, { path: d.path, line: d.problem.line });
  return fn(d);
}

/** A daemon setting from daemon.json, or the running dockerd's own flag (`--icc=false`). */
export function daemonSetting(d: DaemonConfig, key: string): unknown {
  if (key in d.json) return d.json[key];
  const f = d.flags.find((a) => a === `--${key}` || a.startsWith(`--${key}=`));
  if (f === undefined) return undefined;
  if (f === `--${key}`) {
    const next = d.flags[d.flags.indexOf(f) + 1];
    return next && !next.startsWith('-') ? next : true;
  }
  const v = f.slice(key.length + 3);
  return v === 'true' ? true : v === 'false' ? false : v;
}

export const daemonEvidence = (d: DaemonConfig, key: string): string => (d.exists ? `${d.path} ("${key}")` : `${d.path} (missing)${d.flags.length ? '; dockerd flags' : ''}`);
