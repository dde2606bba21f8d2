import { listProcesses, type ProcessInfo } from '../host/proc.js';
import type { Facts } from './facts.js';

/**
 * The running processes as a shared scan fact (what the processes detector reads), listed once per scan
 * by whichever detector asks first; null on a target that has no running system (an offline root).
 */
const lists = new WeakMap<Facts, Promise<ProcessInfo[] | null>>();

export function runningProcesses(facts: Facts): Promise<ProcessInfo[] | null> {
  let p = lists.get(facts);
  if (!p) {
    p = facts.target.live ? listProcesses(facts.target).catch(() => null) : Promise.resolve(null);
    lists.set(facts, p);
  }
  return p;
}
