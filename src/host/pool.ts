import { resolve } from 'node:path';
import { inProcess, type SharedConnections } from '../core/step.js';
import type { DeclaredInputs, ExecOptions, PrefetchOptions, Target } from './target.js';
import { stoppedError } from './target.js';

/**
 * The connections of one host during a playbook run (playbook/runner.ts): the first step that opens
 * `--host X` connects, the later ones get the same connected Target (one handshake, one sudo check),
 * and the pool closes it after the host's last step. A connection that dropped is opened again by the
 * next step that asks for it.
 */
export class ConnectionPool implements SharedConnections {
  private readonly open = new Map<string, Promise<{ close(): Promise<void> }>>();
  private readonly broken = new Set<string>();

  get<T extends { close(): Promise<void> }>(key: string, open: () => Promise<T>): Promise<T> {
    let p = this.open.get(key) as Promise<T> | undefined;
    if (p && this.broken.has(key)) {
      this.broken.delete(key);
      void p.then((t) => t.close()).catch(() => {});
      p = undefined;
    }
    if (!p) {
      p = open();
      this.open.set(key, p);
      // a failed connect is not kept: the next step tries again (and says why, as a child would)
      p.catch(() => {
        if (this.open.get(key) === p) this.open.delete(key);
      });
    }
    return p;
  }

  /** The connection under `key` dropped: the next step connects again. */
  markBroken(key: string): void {
    if (this.open.has(key)) this.broken.add(key);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    this.broken.clear();
    await Promise.all(all.map((p) => p.then((t) => t.close()).catch(() => {})));
  }
}

/** Methods of a Target that go to the host: refused once the step was stopped. */
const IO = new Set(['lstat', 'stat', 'list', 'readlink', 'readFile', 'openRead', 'exec', 'xattrs', 'alive', 'localPath', 'openPositioned', 'prefetch', 'prefetchUnder']);

/**
 * A step's view of a Target: everything goes to `base`, except that close() closes only what the step
 * opened itself (the snapshots of its prefetch), never `base` when the pool owns it; once `signal`
 * aborts, every read and command fails at once and commands get the signal (remote ones are killed).
 */
export function leaseTarget(base: Target, opts: { signal?: AbortSignal; owned: boolean; onLost?: () => void }): Target {
  const snapshots = new Set<Target>();
  const { signal } = opts;
  const stopped = () => stoppedError(base.name, signal);
  const lost = (err: unknown): never => {
    if (opts.onLost && /connection lost/.test((err as Error)?.message ?? '')) opts.onLost();
    throw err;
  };
  const wrapped: Partial<Record<string, unknown>> = {
    async exec(argv: string[], o: ExecOptions = {}) {
      const sig = signal && o.signal ? AbortSignal.any([signal, o.signal]) : (signal ?? o.signal);
      return base.exec(argv, { ...o, ...(sig ? { signal: sig } : {}) }).catch(lost);
    },
    async prefetch(inputs: DeclaredInputs, o?: PrefetchOptions) {
      const snap = await base.prefetch!(inputs, { ...o, ...(signal ? { signal } : {}) }).catch(lost);
      snapshots.add(snap);
      return snap;
    },
    async prefetchUnder(prefix: string, inputs: DeclaredInputs) {
      const snap = await base.prefetchUnder!(prefix, inputs).catch(lost);
      snapshots.add(snap);
      return snap;
    },
    async close() {
      for (const s of snapshots) await s.close().catch(() => {});
      snapshots.clear();
      if (opts.owned) await base.close();
    },
  };
  return new Proxy(base, {
    get(t, prop) {
      const v = Reflect.get(t, prop) as unknown;
      if (typeof prop !== 'string' || typeof v !== 'function') return v;
      const own = prop in wrapped ? (wrapped[prop] as (...a: unknown[]) => unknown) : (v as (...a: unknown[]) => unknown);
      if (!IO.has(prop)) return (...a: unknown[]) => own.apply(prop in wrapped ? undefined : t, a);
      return (...a: unknown[]) => {
        if (signal?.aborted) return Promise.reject(stopped());
        const r = own.apply(prop in wrapped ? undefined : t, a);
        return r instanceof Promise ? r.catch(lost) : r;
      };
    },
  });
}

/**
 * The Target a command opens: inside a playbook step, the host's shared connection under `key`
 * (opened by `connect` the first time) seen through the step's lease; otherwise `connect()` itself.
 * `key` is undefined for targets with no connection to share (this machine, an image): a step still
 * gets its lease, for its timeout.
 */
export async function stepTarget(key: string | undefined, connect: () => Promise<Target>): Promise<Target> {
  const ctx = inProcess();
  if (!ctx) return connect();
  const pool = ctx.connections;
  if (key === undefined || !pool) return leaseTarget(await connect(), { signal: ctx.signal, owned: true });
  const base = await pool.get(key, connect);
  return leaseTarget(base, { signal: ctx.signal, owned: false, onLost: () => (pool as Partial<ConnectionPool>).markBroken?.(key) });
}

/** What makes two connections the same: the host and every flag that changes how it is logged into. */
export function connectionKey(spec: string, o: { identity?: string; knownHosts?: string; acceptNew?: boolean; sudo?: boolean; sshConfig?: string }): string {
  const p = (x: string | undefined) => (x === undefined ? null : resolve(x));
  return JSON.stringify([spec, p(o.identity), p(o.knownHosts), Boolean(o.acceptNew), Boolean(o.sudo), p(o.sshConfig)]);
}
