import type { Target } from '../../host/target.js';
import { TargetError } from '../../host/target.js';
import { utcNow } from '../../core/time.js';
import type { HostStep, HostStepResult } from './schema.js';

/** Runs one host step with its stdin; never throws for a failed command, the result says it. */
export async function runStep(target: Target, s: HostStep): Promise<HostStepResult> {
  const startedAt = utcNow();
  try {
    const res = await target.exec(s.argv, { privileged: true, input: s.input, timeoutMs: 60_000 });
    const stderr = res.stderr.toString('utf8').trim();
    const stdout = res.stdout.toString('utf8').trim();
    return { ...s, startedAt: res.startedAt, endedAt: res.endedAt, code: res.code, ok: res.code === 0, stdout: stdout ? stdout.slice(0, 2000) : undefined, stderr: stderr ? stderr.slice(0, 2000) : undefined };
  } catch (err) {
    return { ...s, startedAt, endedAt: utcNow(), code: null, ok: false, stderr: err instanceof TargetError ? err.message : String(err) };
  }
}

/** Exit code of a probe command, null when it could not run at all. */
export async function probe(target: Target, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const r = await target.exec(argv, { privileged: true, timeoutMs: 30_000 });
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  } catch (err) {
    return { code: null, stdout: '', stderr: err instanceof Error ? err.message : String(err) };
  }
}
