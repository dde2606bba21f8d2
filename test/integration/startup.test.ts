import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT, runIr } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * Without a manifest (development, CI) oclif imports every command module at start-up to learn its
 * flags. Each command module must therefore load only flag definitions and light constants; the
 * modules that do the work (ssh2, zod schemas, yaml, tar, date-fns, sql.js…) load inside run().
 */
const HEAVY = ['ssh2', 'zod', 'ora', 'yaml', 'tar-stream', 'date-fns', '@date-fns/utc', 'sql.js', 'p-limit'];

function commandModules(dir = join(ROOT, 'dist', 'commands')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? commandModules(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

describe('start-up: what loading the commands costs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ir-startup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const modules = commandModules();
  test('finds the command modules', () => {
    expect(modules.length).toBeGreaterThanOrEqual(16);
  });

  test.each(modules.map((m) => [relative(ROOT, m), m]))('%s loads no heavy package', async (_name, file) => {
    const trace = join(dir, `${relative(ROOT, file).replace(/\//g, '_')}.txt`);
    const hooks = pathToFileURL(join(ROOT, 'test', 'helpers', 'trace-hooks.mjs')).href;
    const code = `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); await import(${JSON.stringify(pathToFileURL(file).href)});`;
    await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, IR_TRACE_FILE: trace } });
    const loaded = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    // the trace works: the command module itself and oclif are in it
    expect(loaded).toContain(pathToFileURL(file).href);
    expect(loaded.some((u) => u.includes('/node_modules/@oclif/core/'))).toBe(true);
    const heavy = loaded.filter((u) => HEAVY.some((p) => u.includes(`/node_modules/${p}/`)));
    expect(heavy).toEqual([]);
  });

  test('the light list of detector ids is the registry', async () => {
    const { DETECTORS } = (await import(pathToFileURL(join(ROOT, 'dist', 'scan', 'registry.js')).href)) as { DETECTORS: { id: string }[] };
    const { DETECTOR_IDS } = (await import(pathToFileURL(join(ROOT, 'dist', 'scan', 'detector-ids.js')).href)) as { DETECTOR_IDS: string[] };
    expect([...DETECTOR_IDS]).toEqual(DETECTORS.map((d) => d.id));
  });

  test('a known error class from a lazily loaded module still gives one line and exit 2', async () => {
    // HostSpecError comes from host-spec.js, which only run() loads
    const r = await runIr(['persistence-scan', '--host', 'user@@bad host']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });
});
