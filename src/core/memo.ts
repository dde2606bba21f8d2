/**
 * Facts read once per run and shared (accounts for the scan's detectors, configs for the sweep's
 * checks): the first caller starts the read, later callers await the same promise, a failure included.
 */
export class Memo {
  private readonly cache = new Map<string, Promise<unknown>>();

  get<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.cache.set(key, p);
    }
    return p;
  }
}
