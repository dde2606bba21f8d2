import { Collector, type Detector } from '../detector.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';

const DIRS = ['/etc/udev/rules.d', '/run/udev/rules.d', '/usr/local/lib/udev/rules.d', '/usr/lib/udev/rules.d', '/lib/udev/rules.d'];

/** `RUN+="…"`, `RUN{program}+=`, `PROGRAM=` and `IMPORT{program}=` values: udevd runs them as root on device events. */
export function udevCommands(text: string): ConfigCommand[] {
  const out: ConfigCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim().startsWith('#')) return;
    for (const m of raw.matchAll(/\b(RUN(?:\{program\})?|PROGRAM|IMPORT\{program\})\s*\+?=\s*"((?:[^"\\]|\\.)*)"/g)) out.push({ line: i + 1, raw: raw.trim(), command: m[2]! });
  });
  return out;
}

export const udev: Detector = {
  id: 'udev',
  title: 'udev rules that run programs (RUN+=, PROGRAM=)',
  category: 'persistence',
  attack: ['T1546.017'],
  locations: DIRS.map((d) => `${d}/*.rules`),
  async run(ctx) {
    const c = new Collector('udev', 'persistence', ctx.target.name);
    const merged = (await ctx.target.lstat('/lib').catch(() => null))?.type === 'symlink';
    for (const dir of DIRS) {
      if (merged && dir.startsWith('/lib/')) continue;
      for (const e of await entriesOf(c, ctx, dir)) {
        if (!isFileish(e) || !e.name.endsWith('.rules')) continue;
        await judgeConfigFile(ctx, c, e.path, { detector: 'udev', attack: 'T1546.017', kind: 'udev rule', unownedBase: 'medium', runs: 'udevd runs it as root on every matching device event' }, udevCommands);
      }
    }
    return c.result();
  },
};
