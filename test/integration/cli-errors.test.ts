/**
 * Every command, from the same command classes oclif loads: a missing required flag or argument and an
 * invalid flag value each give exactly one line on stderr that names the flag or argument and what is
 * wrong, and exit 2 (oclif's own "The following error occurred:" is never all the user sees).
 */
import { execFileSync } from 'node:child_process';
import { ROOT, runIr } from '../helpers/cli.js';

interface FlagInfo {
  required?: boolean;
  type: string;
  options?: string[];
  summary?: string;
}
interface CommandInfo {
  id: string;
  args: { name: string; required?: boolean }[];
  flags: Record<string, FlagInfo>;
}

interface Case {
  argv: string[];
  names: string;
}

// the commands as oclif itself loads them (a child process: jest's module sandbox cannot load oclif's plugins)
const LIST = `
import { Config } from '@oclif/core';
const config = await Config.load(process.argv[1]);
const out = [];
for (const c of config.commands.filter((c) => c.pluginName === 'ir-toolkit')) {
  const cls = await c.load();
  out.push({ id: c.id, args: Object.entries(cls.args ?? {}).map(([k, a]) => ({ name: a.name ?? k, required: a.required })),
    flags: Object.fromEntries(Object.entries(cls.flags ?? {}).map(([n, f]) => [n, { required: f.required, type: f.type, options: f.options, summary: f.summary }])) });
}
console.log(JSON.stringify(out));`;
const commands = (JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', LIST, ROOT], { cwd: ROOT, encoding: 'utf8' })) as CommandInfo[]).sort((a, b) => a.id.localeCompare(b.id));
const classes = commands.map((c) => ({ id: c.id, cls: c }));

/** What to break in each command: its required args and flags, and one bad value per flag kind. */
function casesOf(c: (typeof classes)[number]): Case[] {
  const id = c.id.split(':');
  const out: Case[] = [];
  const args = c.cls.args;
  const requiredArgs = args.filter((a) => a.required);
  // realistic values for what is checked before the flag under test (ban and unban need an address)
  const fillArgs = /^(ban|unban)$/.test(c.id) ? ['192.0.2.1'] : c.id === 'playbook:run' ? ['hygiene'] : requiredArgs.map(() => 'x');
  if (requiredArgs.length) out.push({ argv: id, names: requiredArgs[0]!.name });
  const flags = Object.entries(c.cls.flags ?? {});
  const required = flags.filter(([, f]) => f.required);
  for (const [name] of required) {
    const others = required.filter(([n]) => n !== name).flatMap(([n]) => [`--${n}`, 'x']);
    out.push({ argv: [...id, ...fillArgs, ...others], names: name });
  }
  const filled = [...fillArgs, ...required.flatMap(([n]) => [`--${n}`, 'x'])];
  const enumFlag = flags.find(([, f]) => f.type === 'option' && Array.isArray(f.options) && f.options.length > 0);
  if (enumFlag) out.push({ argv: [...id, ...filled, `--${enumFlag[0]}`, 'no-such-value'], names: enumFlag[0] });
  const intFlag = flags.find(([n, f]) => f.type === 'option' && /integer|number|seconds|threads|concurrency|timeout|max|min|limit|wait|lines/i.test(`${n} ${f.summary ?? ''}`) && !f.options && n !== 'limit');
  if (intFlag) out.push({ argv: [...id, ...filled, `--${intFlag[0]}`, '-1x'], names: intFlag[0] });
  // the host is checked before anything else is read or looked up
  if (flags.some(([n]) => n === 'host')) out.push({ argv: [...id, ...filled, '--host', 'a;b'], names: 'host' });
  // a command with nothing required and no value to get wrong still refuses an unknown flag clearly
  if (out.length === 0) out.push({ argv: [...id, '--no-such-flag'], names: 'no-such-flag' });
  return out;
}

const all = classes.flatMap((c) => casesOf(c).map((k) => [c.id.replace(/:/g, ' '), k] as const));

test('every ir command is covered', () => {
  const covered = new Set(all.map(([id]) => id));
  expect(commands.length).toBeGreaterThanOrEqual(16);
  for (const c of commands) expect({ id: c.id, covered: covered.has(c.id.replace(/:/g, ' ')) }).toEqual({ id: c.id, covered: true });
});

test.each(all)('ir %s: %j is one line naming what is wrong, exit 2', async (_id, k) => {
  const r = await runIr(k.argv, { env: { SSH_AUTH_SOCK: '' } });
  const lines = r.stderr.trim().split('\n');
  expect({ argv: k.argv, code: r.code, stderr: lines }).toEqual({ argv: k.argv, code: 2, stderr: [lines[0]] });
  expect(lines[0]).toMatch(/^ir [a-z0-9 -]+: /);
  expect(lines[0]).not.toMatch(/^ir [a-z0-9 -]+: The following errors? occurred:?$/);
  expect(lines[0]!.toLowerCase()).toContain(k.names.toLowerCase());
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
