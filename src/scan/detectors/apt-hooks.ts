import { Collector, type Detector } from '../detector.js';
import { judgeConfigFile, type ConfigCommand } from '../rules/config-commands.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';

const HOOK = /^\s*(APT::Update::(Pre|Post)-Invoke(-Success)?|DPkg::(Pre|Post)-Invoke|DPkg::Pre-Install-Pkgs|APT::Install::(Pre|Post)-Invoke(-Success)?|DPkg::Post-Invoke-Success|Acquire::http::ProxyAutoDetect|Acquire::https::ProxyAutoDetect)\b/i;

/** apt.conf(5): `Name { "cmd"; "cmd"; };` possibly over several lines; every quoted string of a hook is a shell command run as root. */
export function aptHookCommands(text: string): ConfigCommand[] {
  const out: ConfigCommand[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!HOOK.test(lines[i]!) || lines[i]!.trim().startsWith('//')) continue;
    let block = lines[i]!;
    let j = i;
    const open = () => (block.match(/\{/g) ?? []).length - (block.match(/\}/g) ?? []).length;
    // a block runs to its closing brace; a plain `Name "cmd";` to its semicolon
    while ((block.includes('{') ? open() > 0 : !/;\s*$/.test(block)) && j + 1 < lines.length && j - i < 50) block += '\n' + lines[++j]!;
    for (const m of block.matchAll(/"((?:[^"\\]|\\.)*)"/g)) out.push({ line: i + 1, raw: block.trim().replace(/\s+/g, ' '), command: m[1]! });
    i = j;
  }
  return out;
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
      await judgeConfigFile(ctx, c, f, { detector: 'apt-hooks', attack: 'T1546.016', kind: 'APT hook', unownedBase: 'low', runs: 'apt or dpkg runs it as root at every update or install' }, aptHookCommands);
    }
    return c.result();
  },
};
