import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey } from '../../core/finding.js';
import { entriesOf, isFileish, judgeScriptFile } from '../rules/judge-file.js';
import { LogicalLines } from '../rules/shell-script.js';
import { quiet, readLines } from './util.js';

const RC_DIRS = ['rc0.d', 'rc1.d', 'rc2.d', 'rc3.d', 'rc4.d', 'rc5.d', 'rc6.d', 'rcS.d'].map((d) => `/etc/${d}`);

export const bootScripts: Detector = {
  id: 'boot-scripts',
  title: 'Boot scripts: /etc/rc.local, SysV init scripts and their rc?.d links',
  category: 'persistence',
  attack: ['T1037.004'],
  locations: ['/etc/rc.local', '/etc/init.d/*', '/etc/rc?.d/*'],
  async run(ctx) {
    const c = new Collector('boot-scripts', 'persistence', ctx.target.name);
    // Debian ships no rc.local; one with commands besides `exit 0` runs as root at every boot (rc-local.service)
    let commands = false;
    const ll = new LogicalLines((l) => void (commands ||= !/^exit\s+0$/.test(l.text)));
    const rc = await readLines(ctx.target, quiet(c), '/etc/rc.local', { kind: 'rc.local', normal: Number.MAX_SAFE_INTEGER }, (raw, n) => ll.push(raw, n));
    ll.end();
    if (rc && commands) {
      await judgeScriptFile(ctx, c, '/etc/rc.local', { detector: 'boot-scripts', attack: 'T1037.004', kind: 'rc.local', unownedBase: 'medium', runs: 'runs as root at every boot (rc-local.service)' });
    }
    const enabled = new Map<string, string[]>();
    for (const dir of RC_DIRS) {
      for (const e of await entriesOf(c, ctx, dir)) {
        if (e.stat.type !== 'symlink') continue;
        const to = posix.resolve(dir, await ctx.target.readlink(e.path).catch(() => ''));
        if (to.startsWith('/etc/init.d/')) {
          enabled.set(to, [...(enabled.get(to) ?? []), e.path]);
          continue;
        }
        c.add({
          rule: 'boot-scripts.rc-link',
          key: instanceKey('boot-scripts', e.path, 'link'),
          contentHash: contentHash(to),
          severity: 'high',
          title: `Runlevel link to a script outside /etc/init.d: ${e.path}`,
          path: e.path,
          user: 'root',
          evidence: clip(`${e.path} -> ${to}`, 300),
          attack: 'T1037.004',
          reason: 'runs as root when the runlevel starts; init scripts live in /etc/init.d',
          mtime: isoFromEpochSeconds(e.stat.mtime),
        });
      }
    }
    for (const e of await entriesOf(c, ctx, '/etc/init.d')) {
      if (!isFileish(e) || e.name === 'README' || e.name.startsWith('.')) continue;
      const links = enabled.get(e.path) ?? [];
      await judgeScriptFile(ctx, c, e.path, {
        detector: 'boot-scripts',
        attack: 'T1037.004',
        kind: 'init script',
        unownedBase: links.length ? 'medium' : 'low',
        runs: links.length ? `enabled in ${links.map((l) => posix.basename(posix.dirname(l))).join(', ')}, runs as root at boot` : 'not linked from any runlevel',
      });
    }
    return c.result();
  },
};
