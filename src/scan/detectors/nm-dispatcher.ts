import { Collector, type Detector } from '../detector.js';
import { entriesOf, isFileish, judgeScriptFile } from '../rules/judge-file.js';

const DIRS = ['/etc/NetworkManager/dispatcher.d', '/etc/NetworkManager/dispatcher.d/pre-up.d', '/etc/NetworkManager/dispatcher.d/pre-down.d', '/etc/NetworkManager/dispatcher.d/no-wait.d', '/usr/lib/NetworkManager/dispatcher.d', '/etc/network/if-up.d', '/etc/network/if-pre-up.d', '/etc/network/if-down.d', '/etc/network/if-post-down.d'];

export const nmDispatcher: Detector = {
  id: 'nm-dispatcher',
  title: 'NetworkManager dispatcher and ifupdown hook scripts (run as root on network events)',
  category: 'persistence',
  attack: ['T1546'],
  locations: DIRS.map((d) => `${d}/*`),
  async run(ctx) {
    const c = new Collector('nm-dispatcher', 'persistence', ctx.target.name);
    for (const dir of DIRS) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (!isFileish(e)) continue;
        await judgeScriptFile(ctx, c, e.path, { detector: 'nm-dispatcher', attack: 'T1546', kind: 'network hook script', unownedBase: 'low', runs: 'runs as root whenever an interface goes up or down' });
      }
    }
    return c.result();
  },
};
