import { parseShadow, type ShadowEntry } from '../../host/facts/passwd.js';
import type { SweepContext } from '../context.js';

export type { ShadowEntry };

/** /etc/shadow through the one account-database reader (host/facts/passwd.ts); null when there is none. */
export function shadowEntries(ctx: SweepContext): Promise<ShadowEntry[] | null> {
  return ctx.memo('shadow', async () => {
    const text = await ctx.read('/etc/shadow');
    return text === null ? null : parseShadow(text);
  });
}
