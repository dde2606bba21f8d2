import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { captureProcessStreams, commandArgv, runInProcess, setExitCode, stepSignal, writeOut, type StepIo } from '../../src/core/step.js';
import { ConnectionPool, leaseTarget, stepTarget } from '../../src/host/pool.js';
import type { Target } from '../../src/host/target.js';
import { checkPlaybook } from '../../src/playbook/load.js';
import { runPlaybook, type RunnerOptions } from '../../src/playbook/runner.js';
import { CATALOG } from '../fixtures/playbook/catalog.js';
import { FAKE_CLI, fakeReport, withCaseMeta } from '../fixtures/playbook/runner-case.js';

/**
 * What a playbook step run in ir's own process gets instead of a child's process (core/step.ts,
 * host/pool.ts): its own stdout, stderr and exit code while other hosts' steps run at the same time,
 * and the host's connection, which a step's close() never closes.
 */

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no code sets process.exitCode but core/step.ts (a step sets its own) and the runner putting it back', () => {
  const src = resolve('src');
  const setters = walk(src)
    .filter((f) => /process\.exitCode\s*=[^=]/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(src, f));
  expect(setters.sort()).toEqual(['core/step.ts', 'playbook/runner.ts']);
});

test('two steps at once: each one its own stdout, stderr and exit code; the process keeps its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ir-step-'));
  const undo = captureProcessStreams();
  const before = process.exitCode;
  const io = (n: string): StepIo => ({ argv: [n], stdout: openSync(join(dir, `${n}.out`), 'w'), stderr: openSync(join(dir, `${n}.err`), 'w'), ended: false });
  const a = io('a');
  const b = io('b');
  const tick = () => new Promise((r) => setTimeout(r, 5));
  try {
    await Promise.all([
      runInProcess({ step: a }, async () => {
        process.stdout.write('a1\n');
        await tick();
        setExitCode(1);
        process.stderr.write('a: warning\n');
      }),
      runInProcess({ step: b }, async () => {
        await tick();
        process.stdout.write('b1\n');
        setExitCode(2);
        await tick();
        process.stdout.write(Buffer.from('b2\n'));
      }),
    ]);
  } finally {
    undo();
  }
  a.ended = b.ended = true;
  for (const s of [a, b]) {
    closeSync(s.stdout);
    closeSync(s.stderr);
  }
  expect([a.exitCode, b.exitCode]).toEqual([1, 2]);
  expect(process.exitCode).toBe(before);
  expect(readFileSync(join(dir, 'a.out'), 'utf8')).toBe('a1\n');
  expect(readFileSync(join(dir, 'a.err'), 'utf8')).toBe('a: warning\n');
  expect(readFileSync(join(dir, 'b.out'), 'utf8')).toBe('b1\nb2\n');
  expect(readFileSync(join(dir, 'b.err'), 'utf8')).toBe('');
  rmSync(dir, { recursive: true, force: true });
});

function fakeTarget(name: string, log: string[]): Target {
  return {
    kind: 'ssh',
    name,
    live: true,
    lstat: async () => null,
    stat: async () => null,
    list: async () => [],
    readlink: async () => '',
    readFile: async () => Buffer.from('x'),
    openRead: async () => {
      throw new Error('no');
    },
    exec: async (argv, opts) => {
      log.push(`exec ${argv.join(' ')} ${opts?.signal ? 'with signal' : 'no signal'}`);
      return { argv, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), code: 0, startedAt: '', endedAt: '' };
    },
    prefetch: async () => {
      log.push('prefetch');
      return { ...fakeTarget(`${name}-snapshot`, log), close: async () => void log.push('snapshot closed') };
    },
    close: async () => void log.push(`${name} closed`),
  };
}

test('a pooled connection: opened once for all steps, never closed by a step, closed by the pool; a stopped step is refused', async () => {
  const log: string[] = [];
  const pool = new ConnectionPool();
  let opened = 0;
  const connect = async () => {
    opened++;
    return fakeTarget(`conn${opened}`, log);
  };
  const ac = new AbortController();
  for (const step of [1, 2]) {
    await runInProcess({ connections: pool, signal: step === 2 ? ac.signal : undefined }, async () => {
      const t = await stepTarget('host-a', connect);
      expect(t.name).toBe('conn1');
      expect(t.prefetch).toBeDefined();
      expect((t as Partial<Target>).xattrs).toBeUndefined(); // a capability the connection lacks stays absent
      await t.exec(['true']);
      await t.prefetch!({} as never);
      await t.close();
    });
  }
  expect(opened).toBe(1);
  expect(log).toEqual(['exec true no signal', 'prefetch', 'snapshot closed', 'exec true with signal', 'prefetch', 'snapshot closed']);
  // after a timeout the step's reads and commands fail at once
  const stopped = leaseTarget(fakeTarget('conn1', log), { signal: ac.signal, owned: false });
  ac.abort(new Error('stopped after 3s'));
  await expect(stopped.readFile('/etc/passwd')).rejects.toThrow('conn1: stopped after 3s');
  // a connection that dropped is opened again for the next step
  pool.markBroken('host-a');
  await runInProcess({ connections: pool }, async () => expect((await stepTarget('host-a', connect)).name).toBe('conn2'));
  await pool.close();
  expect(log.filter((l) => l.endsWith(' closed') && l.startsWith('conn'))).toEqual(['conn1 closed', 'conn2 closed']);
  // outside a playbook step, the command owns its target
  const own = await stepTarget('host-a', connect);
  expect(own.name).toBe('conn3');
});

describe('steps run in this process (runPlaybook with runCommand)', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ir-pb-inproc-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  function options(runCommand: RunnerOptions['runCommand'], over: Partial<RunnerOptions> = {}): RunnerOptions {
    const text = readFileSync('test/fixtures/playbook/minimal.yaml', 'utf8');
    const { playbook } = checkPlaybook(text, 'minimal.yaml', CATALOG);
    return withCaseMeta(
      { playbook: playbook!, catalog: CATALOG, hosts: [], fleet: false, kind: 'local', targetArgs: [], caseDir: join(base, 'case'), caseId: 'minimal-1', startedAt: new Date().toISOString(), vars: { project: null, f2b: '/run/f2b.sock' }, concurrency: 4, dryRun: false, cli: FAKE_CLI, writeReport: fakeReport, runCommand, ...over },
      text,
    );
  }

  // an error thrown outside the command's promise (a timer) is in test/integration/playbook-inproc.test.ts: jest takes those itself
  test("an error that got past the command stays in its step; a step's exit code and output are its own; process.exitCode untouched", async () => {
    const before = process.exitCode;
    const r = await runPlaybook(
      options(async (command, argv) => {
        if (command === 'fail2ban') throw new Error('socket vanished');
        writeOut(`${JSON.stringify({ command, argv, arg: commandArgv() })}\n`);
        if (command === 'persistence-scan') setExitCode(1);
      }),
    );
    expect(process.exitCode).toBe(before);
    const steps = Object.fromEntries(r.hosts[0]!.steps.map((s) => [s.name, s]));
    expect(steps.first).toMatchObject({ status: 'findings', exitCode: 1 });
    expect(steps.second).toMatchObject({ status: 'error', exitCode: 2, reason: 'ir fail2ban: unexpected error: socket vanished' });
    // continue_on_error on the second step: the fourth still runs
    expect(steps.fourth).toMatchObject({ status: 'ok', exitCode: 0 });
    const out = JSON.parse(readFileSync(join(base, 'case', 'steps', '01-first.json'), 'utf8')) as { argv: string[]; arg: string[] };
    expect(out.argv).toEqual(['--fail-on=medium', '--json']);
    expect(out.arg).toEqual(['persistence-scan', '--fail-on=medium', '--json']);
  });

  test("a step's timeout: an error at once, its signal aborted for its commands", async () => {
    let aborted: unknown;
    const text = readFileSync('test/fixtures/playbook/minimal.yaml', 'utf8').replace('      fail-on: medium\n', '      fail-on: medium\n    timeout: 1\n');
    const { playbook } = checkPlaybook(text, 'minimal.yaml', CATALOG);
    const r = await runPlaybook(
      options(
        async (command) => {
          if (command !== 'persistence-scan') return writeOut('{}\n');
          const signal = stepSignal()!;
          await new Promise<void>((res) => signal.addEventListener('abort', () => res()));
          aborted = signal.reason;
        },
        { playbook: playbook! },
      ),
    );
    expect(r.hosts[0]!.steps[0]).toMatchObject({ status: 'error', exitCode: null, reason: 'stopped after 1s' });
    expect(String(aborted)).toBe('Error: stopped after 1s');
    expect(r.hosts[0]!.steps.map((s) => s.status)).toEqual(['error', 'skipped', 'skipped', 'skipped', 'ok']);
  });
});
