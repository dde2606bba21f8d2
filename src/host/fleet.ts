import { join } from 'node:path';
import pLimit from 'p-limit';
import { UserError } from '../core/errors.js';
import { isFleet, openTarget, type FleetFlagValues, type TargetFlagValues } from './flags.js';
import { HostSpecError, parseHostSpec } from './host-spec.js';
import { limitHosts, readInventory, type InventoryHost } from './inventory.js';
import type { Target } from './target.js';
import { connectionKey, stepTarget } from './pool.js';

export type { FleetFlagValues };

/** Host labels become directory names: anything but [A-Za-z0-9._-] becomes `_`. */
export function hostDirName(label: string): string {
  const s = label.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s || '_';
}

/** A host's directory in a fleet's case directory (playbooks, isolate, restore): CASE/hosts/LABEL. */
export function fleetCaseDir(caseDir: string, label: string): string {
  return join(caseDir, 'hosts', hostDirName(label));
}

/** The hosts that `--host` (repeated) and `--hosts FILE [--limit G]` name, in order, each label once. */
export function fleetHosts(f: TargetFlagValues & FleetFlagValues): InventoryHost[] {
  const out: InventoryHost[] = [];
  for (const raw of f.host ?? []) {
    try {
      parseHostSpec(raw);
    } catch (err) {
      throw new UserError((err as HostSpecError).message);
    }
    out.push({ label: raw, spec: raw, groups: [] });
  }
  if (f.hosts) out.push(...limitHosts(readInventory(f.hosts), f.limit));
  const seen = new Set<string>();
  for (const h of out) {
    if (seen.has(h.label)) throw new UserError(`host ${h.label} is named twice`);
    try {
      parseHostSpec(h.spec);
    } catch (err) {
      throw new UserError(`${f.hosts ?? '--host'}: ${h.label}: ${(err as Error).message}`);
    }
    seen.add(h.label);
  }
  return out;
}

export type HostOutcome<T> = { host: InventoryHost; ok: true; value: T; seconds: number } | { host: InventoryHost; ok: false; error: Error; seconds: number };

/**
 * Runs `fn` for every host, at most `concurrency` at once. A host that throws (dead, changed key) is
 * recorded with its error; it never stops or delays the others. Results come back in input order.
 */
export async function forEachHost<T>(hosts: readonly InventoryHost[], concurrency: number, fn: (host: InventoryHost, index: number) => Promise<T>): Promise<HostOutcome<T>[]> {
  const limit = pLimit(Math.max(1, concurrency));
  return Promise.all(
    hosts.map((host, i) =>
      limit(async (): Promise<HostOutcome<T>> => {
        const t0 = performance.now();
        try {
          const value = await fn(host, i);
          return { host, ok: true, value, seconds: (performance.now() - t0) / 1000 };
        } catch (err) {
          return { host, ok: false, error: err instanceof Error ? err : new Error(String(err)), seconds: (performance.now() - t0) / 1000 };
        }
      }),
    ),
  );
}

/** Connects to one fleet host with the shared target flags (its own key from the inventory first). */
export async function connectFleetHost(host: InventoryHost, f: TargetFlagValues): Promise<Target> {
  // loaded when a fleet connects: ssh2 in a local run costs start-up and tens of MiB of peak memory (bench/README.md, auth-review)
  const { SshHost } = await import('./ssh.js');
  const o = { identity: host.identity ?? f.identity, knownHosts: f['known-hosts'], acceptNew: f['accept-new'], sudo: f.sudo, sshConfig: f['ssh-config'] };
  // in a playbook run: the host's connection, shared by its steps (host/pool.ts)
  return stepTarget(connectionKey(host.spec, o), () => SshHost.connect(parseHostSpec(host.spec), { ...o, connectTimeoutMs: (f['connect-timeout'] ?? 10) * 1000 }));
}

export interface FleetRow<T> {
  host: string;
  spec: string;
  /** ok / findings / incomplete (exit 2: something could not be read) from the command's own exit rule; error when the host could not be reached or the command failed */
  status: 'ok' | 'findings' | 'incomplete' | 'error';
  exitCode: number;
  seconds: number;
  result?: T;
  error?: string;
}

/**
 * What a single-host command does with a fleet: connect to each host (at most --concurrency at once),
 * run `fn` on its Target, close it. `exitOf` maps a result to 0 or 1; a host that cannot be reached,
 * whose key does not verify, or whose `fn` throws is a row with exit 2, and never stops the others.
 */
export async function runOnFleet<T>(f: TargetFlagValues & FleetFlagValues, fn: (target: Target, host: InventoryHost) => Promise<T>, exitOf: (result: T) => number): Promise<{ rows: FleetRow<T>[]; exitCode: number }> {
  const outcomes = await forEachHost(fleetHosts(f), f.concurrency ?? 5, async (h) => {
    const target = await connectFleetHost(h, f);
    try {
      return await fn(target, h);
    } finally {
      await target.close();
    }
  });
  const rows = outcomes.map((o): FleetRow<T> => {
    if (!o.ok) return { host: o.host.label, spec: o.host.spec, status: 'error', exitCode: 2, seconds: o.seconds, error: o.error.message.split('\n')[0] };
    const exitCode = exitOf(o.value);
    return { host: o.host.label, spec: o.host.spec, status: exitCode >= 2 ? 'incomplete' : exitCode ? 'findings' : 'ok', exitCode, seconds: o.seconds, result: o.value };
  });
  return { rows, exitCode: Math.max(0, ...rows.map((r) => r.exitCode)) };
}

/** What runOnHosts did: one host's result, or a fleet's rows; `exitCode` is the worst host's. */
export type HostsRun<T> = { fleet: false; result: T; exitCode: number } | { fleet: true; rows: FleetRow<T>[]; exitCode: number };

/**
 * Every command that reads hosts: this machine, `--root`, one `--host` or a fleet. A single host is
 * opened, run and closed, and its error is the command's error (one line, exit 2); on a fleet each
 * host is a row (runOnFleet). `exitOf` maps a result to its exit code (0 clean, 1 findings, 2 error).
 */
export async function runOnHosts<T>(f: TargetFlagValues & FleetFlagValues, fn: (target: Target, host: InventoryHost) => Promise<T>, exitOf: (result: T) => number): Promise<HostsRun<T>> {
  if (isFleet(f)) {
    const { rows, exitCode } = await runOnFleet(f, fn, exitOf);
    return { fleet: true, rows, exitCode };
  }
  const target = await openTarget(f);
  try {
    const spec = f.root ?? f.host?.[0] ?? 'local';
    const result = await fn(target, { label: target.name, spec, groups: [] });
    return { fleet: false, result, exitCode: exitOf(result) };
  } finally {
    await target.close();
  }
}
