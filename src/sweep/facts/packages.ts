import { readTextOrNull } from '../../host/target.js';
import { installedPackages } from '../../host/facts/dpkg.js';
import type { SweepContext } from '../context.js';

/** Installed Debian packages from /var/lib/dpkg/status (works offline), through the one dpkg reader; null on a non-dpkg system. */
export function dpkgInstalled(ctx: SweepContext): Promise<Set<string> | null> {
  return ctx.memo('dpkg', async () => {
    const text = await readTextOrNull(ctx.target, '/var/lib/dpkg/status', { maxBytes: 64 * 1024 * 1024 }).catch(() => null);
    return text === null ? null : installedPackages(text);
  });
}
