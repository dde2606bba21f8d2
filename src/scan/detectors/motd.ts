import { Collector, type Detector } from '../detector.js';
import { entriesOf, isFileish, judgeScriptFile } from '../rules/judge-file.js';

export const motd: Detector = {
  id: 'motd',
  title: 'update-motd.d scripts (run as root at every SSH login)',
  category: 'persistence',
  attack: ['T1037'],
  locations: ['/etc/update-motd.d/*'],
  async run(ctx) {
    const c = new Collector('motd', 'persistence', ctx.target.name);
    for (const e of await entriesOf(c, ctx, '/etc/update-motd.d')) {
      if (!isFileish(e)) continue;
      await judgeScriptFile(ctx, c, e.path, { detector: 'motd', attack: 'T1037', kind: 'MOTD script', unownedBase: 'low', runs: 'pam_motd runs it as root at every SSH login' });
    }
    return c.result();
  },
};
