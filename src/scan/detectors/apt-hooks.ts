import { Collector, type Detector } from '../detector.js';
import { judgeConfigFile, type ConfigCommand, type LineExtractor } from '../rules/config-commands.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';

const HOOK = /^\s*(APT::Update::(Pre|Post)-Invoke(-Success)?|DPkg::(Pre|Post)-Invoke|DPkg::Pre-Install-Pkgs|APT::Install::(Pre|Post)-Invoke(-Success)?|DPkg::Post-Invoke-Success|Acquire::http::ProxyAutoDetect|Acquire::https::ProxyAutoDetect)\b/i;

/**
 * apt.conf(5): `Name { "cmd"; "cmd"; };` possibly over several lines; every quoted string of a hook is a
 * shell command run as root. Fed line by line (a streamed file): a block runs to its closing brace, a
 * plain `Name "cmd";` to its semicolon, 50 lines at most.
 */
export function aptHookExtractor(): LineExtractor {
  let block: string | undefined;
  let start = 0;
  let taken = 0;
  const open = (b: string) => (b.match(/\{/g) ?? []).length - (b.match(/\}/g) ?? []).length;
  const done = (b: string) => (b.includes('{') ? open(b) <= 0 : /;\s*$/.test(b));
  const commands = (b: string): ConfigCommand[] => [...b.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ line: start, raw: b.trim().replace(/\s+/g, ' '), command: m[1]! }));
  return {
    push(raw, n) {
      if (block === undefined) {
        if (!HOOK.test(raw) || raw.trim().startsWith('//')) return [];
        block = raw;
        start = n;
        taken = 0;
      } else {
        block += '\n' + raw;
        taken++;
      }
      if (!done(block) && taken < 50) return [];
      const out = commands(block);
      block = undefined;
      return out;
    },
    end() {
      const out = block === undefined ? [] : commands(block);
      block = undefined;
      return out;
    },
  };
}

/** The whole-text form of aptHookExtractor. */
export function aptHookCommands(text: string): ConfigCommand[] {
  const x = aptHookExtractor();
  const out = text.split('\n').flatMap((raw, i) => x.push(raw, i + 1));
  return [...out, ...x.end!()];
}

export const aptHooks: Detector = {
  id: 'apt-hooks',
  title: 'APT and dpkg hooks (Pre/Post-Invoke) that run as root on every apt or dpkg call',
  category: 'persistence',
  attack: ['T1546.016'],
  locations: ['/etc/apt/apt.conf', '/etc/apt/apt.conf.d/*'],
  async run(ctx) {
    const c = new Collector('apt-hooks', 'persistence', ctx.target.name);
    const files = ['/etc/apt/apt.conf', ...(await entriesOf(c, ctx, '/etc/apt/apt.conf.d')).filter(isFileish).map((e) => e.path)];
    for (const f of files) {
      await judgeConfigFile(ctx, c, f, { detector: 'apt-hooks', attack: 'T1546.016', kind: 'APT hook', unownedBase: 'low', runs: 'apt or dpkg runs it as root at every update or install' }, { stateful: aptHookExtractor });
    }
    return c.result();
  },
};
