import { posix } from 'node:path';
import { Collector, type Detector } from '../detector.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { judgeExecTargets } from '../rules/exec-target.js';
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

/** The Exec= command of a .desktop file with its field codes (%f, %u…) dropped, as the session would run it. */
export function desktopCommand(value: string): string {
  return value.replace(/%[fFuUdDnNickvm]/g, '').replace(/%%/g, '%').trim();
}

export const xdgAutostart: Detector = {
  id: 'xdg-autostart',
  title: 'XDG autostart entries (run at every desktop login) and the scripts or programs they start',
  category: 'persistence',
  attack: ['T1547.013'],
  locations: ['/etc/xdg/autostart/*.desktop', '~/.config/autostart/*.desktop', 'the file each Exec= runs (its program, or the script given to an interpreter)'],
  async run(ctx) {
    const c = new Collector('xdg-autostart', 'persistence', ctx.target.name);
    const dirs = [{ dir: '/etc/xdg/autostart', who: 'every user' }, ...(await homes(ctx)).map((h) => ({ dir: posix.join(h.home, '.config/autostart'), who: h.user }))];
    const seen = new Set<string>();
    for (const { dir, who } of dirs) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (!isFileish(e) || !e.name.endsWith('.desktop')) continue;
        const execs: string[] = [];
        await judgeConfigFile(ctx, c, e.path, { detector: 'xdg-autostart', attack: 'T1547.013', kind: 'autostart entry', unownedBase: 'low', runs: `runs at the desktop login of ${who}` }, (text) => {
          const cmds = desktopExec(text);
          execs.push(...cmds.filter((x) => /^\s*Exec\s*=/.test(x.raw)).map((x) => desktopCommand(x.command)));
          return cmds;
        });
        // the entry may look harmless while the script it starts is not: judge the payload by content
        for (const cmd of execs) await judgeExecTargets(ctx, c, cmd, { detector: 'xdg-autostart', attack: 'T1547.013', from: `the autostart entry ${e.path} (desktop login of ${who})`, kind: 'autostart payload', unownedBase: 'low' }, seen);
      }
    }
    return c.result();
  },
};
