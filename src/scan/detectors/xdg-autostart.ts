import { posix } from 'node:path';
import { Collector, type Detector } from '../detector.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';
import { homes } from '../rules/startup-files.js';

export function desktopExec(text: string): ConfigCommand[] {
  const out: ConfigCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(Exec|TryExec)\s*=\s*(.+)$/.exec(raw);
    if (m) out.push({ line: i + 1, raw: raw.trim(), command: m[2]! });
  });
  return out;
}

export const xdgAutostart: Detector = {
  id: 'xdg-autostart',
  title: 'XDG autostart entries (run at every desktop login)',
  category: 'persistence',
  attack: ['T1547.013'],
  locations: ['/etc/xdg/autostart/*.desktop', '~/.config/autostart/*.desktop'],
  async run(ctx) {
    const c = new Collector('xdg-autostart', 'persistence', ctx.target.name);
    const dirs = [{ dir: '/etc/xdg/autostart', who: 'every user' }, ...(await homes(ctx)).map((h) => ({ dir: posix.join(h.home, '.config/autostart'), who: h.user }))];
    for (const { dir, who } of dirs) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (!isFileish(e) || !e.name.endsWith('.desktop')) continue;
        await judgeConfigFile(ctx, c, e.path, { detector: 'xdg-autostart', attack: 'T1547.013', kind: 'autostart entry', unownedBase: 'low', runs: `runs at the desktop login of ${who}` }, desktopExec);
      }
    }
    return c.result();
  },
};
