import pLimit from 'p-limit';
import type { DirEntry } from '../../host/target.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { packageOwner, resolveOwners } from '../facts-dpkg.js';
import { entriesOf, isFileish, judgeScriptFile } from '../rules/judge-file.js';

const ATTACK = 'T1542';
/** initramfs-tools: the admin's hooks (run by update-initramfs, as root) and boot scripts (packed into the image, run before the root file system). */
const ETC_TOOLS = '/etc/initramfs-tools';
const VENDOR_TOOLS = '/usr/share/initramfs-tools';
/** dracut (RHEL, Fedora, SUSE, Debian's dracut): modules.d/NNname/{module-setup.sh,*.sh}. */
const DRACUT_MODULES = ['/usr/lib/dracut/modules.d', '/lib/dracut/modules.d'];
const DRACUT_CONF = ['/etc/dracut.conf', '/etc/dracut.conf.d', '/usr/lib/dracut/dracut.conf.d'];

interface Item {
  path: string;
  kind: string;
  runs: string;
  /** vendor directories: package-owned files are left to package-integrity, only the others are read */
  vendor: boolean;
}

const SCRIPT_RUNS = 'packed into the initramfs and run as root at every boot, before the root file system is mounted';
const HOOK_RUNS = 'update-initramfs runs it as root at every kernel install or upgrade, and it decides what the initramfs holds';

/** Files of a tree up to `depth` levels (hooks/ is flat, scripts/ has one level of phases, modules.d two). */
async function filesUnder(c: Collector, ctx: DetectorContext, dir: string, depth: number): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  for (const e of await entriesOf(c, ctx, dir)) {
    if (isFileish(e)) out.push(e);
    else if (e.stat.type === 'dir' && depth > 1) out.push(...(await filesUnder(c, ctx, e.path, depth - 1)));
  }
  return out;
}

export const initramfs: Detector = {
  id: 'initramfs',
  title: 'initramfs hooks and boot scripts (initramfs-tools) and dracut modules that no package ships',
  category: 'boot',
  attack: [ATTACK],
  locations: [
    `${ETC_TOOLS}/hooks/*`,
    `${ETC_TOOLS}/scripts/*`,
    `${ETC_TOOLS}/scripts/*/*`,
    `${ETC_TOOLS}/initramfs.conf`,
    `${ETC_TOOLS}/conf.d/*`,
    `${VENDOR_TOOLS}/hooks/*`,
    `${VENDOR_TOOLS}/scripts/*`,
    `${VENDOR_TOOLS}/scripts/*/*`,
    `${VENDOR_TOOLS}/init`,
    ...DRACUT_MODULES.flatMap((d) => [`${d}/*`, `${d}/*/*`]),
    '/etc/dracut.conf',
    '/etc/dracut.conf.d/*.conf',
    '/usr/lib/dracut/dracut.conf.d/*.conf',
  ],
  async run(ctx) {
    const c = new Collector('initramfs', 'boot', ctx.target.name);
    const merged = (await ctx.target.lstat('/lib').catch(() => null))?.type === 'symlink';
    const items: Item[] = [];
    const add = (es: DirEntry[], kind: string, runs: string, vendor: boolean) => {
      for (const e of es) if (e.name !== 'README' && !e.name.startsWith('.') && !e.name.endsWith('.dpkg-dist')) items.push({ path: e.path, kind, runs, vendor });
    };
    add(await filesUnder(c, ctx, `${ETC_TOOLS}/hooks`, 1), 'initramfs hook', HOOK_RUNS, false);
    add(await filesUnder(c, ctx, `${ETC_TOOLS}/scripts`, 2), 'initramfs boot script', SCRIPT_RUNS, false);
    add(await filesUnder(c, ctx, `${ETC_TOOLS}/conf.d`, 1), 'initramfs configuration', 'sourced as shell by update-initramfs (root) and by the initramfs at boot', false);
    items.push({ path: `${ETC_TOOLS}/initramfs.conf`, kind: 'initramfs configuration', runs: 'sourced as shell by update-initramfs (root) and by the initramfs at boot', vendor: false });
    add(await filesUnder(c, ctx, `${VENDOR_TOOLS}/hooks`, 1), 'initramfs hook', HOOK_RUNS, true);
    add(await filesUnder(c, ctx, `${VENDOR_TOOLS}/scripts`, 2), 'initramfs boot script', SCRIPT_RUNS, true);
    items.push({ path: `${VENDOR_TOOLS}/init`, kind: 'initramfs /init', runs: 'the first program of every boot (PID 1 in the initramfs)', vendor: true });
    for (const dir of DRACUT_MODULES) {
      if (merged && dir.startsWith('/lib/')) continue;
      add(await filesUnder(c, ctx, dir, 2), 'dracut module file', 'dracut packs the module into the initramfs; its scripts run as root at boot, module-setup.sh as root at every image build', true);
    }
    for (const p of DRACUT_CONF) {
      const st = await ctx.target.stat(p).catch(() => null);
      if (st?.type === 'dir') add((await entriesOf(c, ctx, p)).filter((e) => isFileish(e) && e.name.endsWith('.conf')), 'dracut configuration', 'sourced as shell by dracut (root) at every image build', p.startsWith('/usr/'));
      else if (st) items.push({ path: p, kind: 'dracut configuration', runs: 'sourced as shell by dracut (root) at every image build', vendor: false });
    }
    // /usr/share and /usr/lib/dracut are outside the package index every scan builds: one more pass
    await resolveOwners(ctx.facts, items.filter((i) => i.vendor).map((i) => i.path));
    const limit = pLimit(16);
    await Promise.all(
      items.map((it) =>
        limit(async () => {
          if (it.vendor) {
            const owner = await packageOwner(ctx.facts, it.path);
            // a packaged file: package-integrity (--deep) compares it with its md5sum; unknown owners are read with --deep
            if (owner || (owner === undefined && !ctx.deep)) return;
          }
          await judgeScriptFile(ctx, c, it.path, { detector: 'initramfs', attack: ATTACK, kind: it.kind, unownedBase: 'medium', runs: it.runs });
        }),
      ),
    );
    return c.result();
  },
};
