import { readTextOrNull } from '../../host/target.js';
import type { SweepContext } from '../context.js';

/** Installed Debian packages from /var/lib/dpkg/status (works offline); null on a non-dpkg system. */
export function dpkgInstalled(ctx: SweepContext): Promise<Set<string> | null> {
  return ctx.memo('dpkg', async () => {
    const text = await readTextOrNull(ctx.target, '/var/lib/dpkg/status', { maxBytes: 64 * 1024 * 1024 }).catch(() => null);
    if (text === null) return null;
    const out = new Set<string>();
    for (const para of text.split(/\n\n+/)) {
      const name = /^Package:\s*(\S+)/m.exec(para)?.[1];
      if (name && /^Status:.*\binstalled$/m.test(para)) out.add(name);
    }
    return out;
  });
}
