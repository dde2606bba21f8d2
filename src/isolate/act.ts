import { DockerUnavailable } from '../docker/cli.js';
import type { Target } from '../host/target.js';
import { TargetError } from '../host/target.js';
import { utcNow } from '../core/time.js';
import { ACTION_TIMEOUT_MS } from './plan.js';
import type { Action, ActionResult } from './schema.js';

/** Runs one planned command on the target and records its time and result; never throws for a failed command. */
export async function runAction(target: Target, a: Action): Promise<ActionResult> {
  const startedAt = utcNow();
  try {
    const res = await target.exec(a.argv, { privileged: true, timeoutMs: ACTION_TIMEOUT_MS });
    // compose prints progress on stderr even when it succeeds: keep it only for failures
    const stderr = res.stderr.toString('utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
    if (res.code !== 0 && /Cannot connect to the Docker daemon|Is the docker daemon running/i.test(stderr)) {
      throw new DockerUnavailable(`the Docker daemon on ${target.name} does not answer`);
    }
    return {
      ...a,
      startedAt: res.startedAt,
      endedAt: res.endedAt,
      code: res.code,
      ok: res.code === 0,
      stderr: res.code === 0 ? undefined : stderr.split('\n').slice(-3).join('\n') || (res.timedOut ? 'timed out' : undefined),
    };
  } catch (err) {
    if (err instanceof DockerUnavailable) throw err;
    const msg = err instanceof TargetError ? err.message : String(err);
    return { ...a, startedAt, endedAt: utcNow(), code: null, ok: false, stderr: msg };
  }
}

/** Runs the actions in order, calling `onDone` after each (the journal is written as it goes). */
export async function runActions(target: Target, actions: Action[], onDone: (r: ActionResult) => Promise<void>): Promise<ActionResult[]> {
  const out: ActionResult[] = [];
  for (const a of actions) {
    const r = await runAction(target, a);
    out.push(r);
    await onDone(r);
  }
  return out;
}
