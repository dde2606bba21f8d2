import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, parseJson, ROOT, runIr } from '../helpers/cli.js';
import { dockerEnv } from '../helpers/services.js';
import { expectIsolated, randomName, run, TestProject, type IsolateJson, useProject } from './isolate-project.js';

/**
 * Confirmation of `ir isolate`, and `--no-snapshot`, which asks twice. Without a terminal nothing is
 * asked: it refuses unless --yes (then it goes on, and the journal says so). On a terminal — a real
 * pseudo-terminal here, python's pty module, answers typed only after each prompt appeared — both
 * questions must be answered yes; any no stops before anything is written or changed.
 */
const p = new TestProject(randomName('irtest-isocf'));
const cases = mkdtempSync(join(tmpdir(), 'iriso-confirm-'));

/** Runs ir on a pty; answers each `[y/N]` prompt in turn once it shows, then reads to the end. */
const PTY_DRIVER = `
import json, os, pty, select, sys, time
argv, answers, timeout = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, asked, end = b"", 0, time.time() + timeout
while time.time() < end:
    if asked < len(answers) and out.count(b"[y/N]") > asked:
        os.write(fd, (answers[asked] + "\\n").encode()); asked += 1
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
_, status = os.waitpid(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "out": out.decode("utf8", "replace"), "prompts": out.count(b"[y/N]")}))
`;

async function onTerminal(args: string[], answers: string[]): Promise<{ code: number; out: string; prompts: number }> {
  const r = await run('python3', ['-c', PTY_DRIVER, JSON.stringify([process.execPath, BIN, ...args]), JSON.stringify(answers), '120'], {
    cwd: ROOT,
    env: { ...process.env, ...dockerEnv(), CI: 'true', NO_COLOR: '1', TERM: 'dumb' },
    maxBuffer: 16 << 20,
    timeout: 150_000,
  });
  return JSON.parse(r.stdout) as { code: number; out: string; prompts: number };
}

useProject(p, cases);

interface Journal {
  snapshot: unknown;
  snapshotSkipped?: string;
}

const QUESTION_1 = 'Skip the snapshot?';
const QUESTION_2 = 'Really isolate without a snapshot?';

test('--no-snapshot without a terminal and without --yes: refuses, asks nothing, writes and changes nothing', async () => {
  const before = await p.states();
  const caseDir = join(cases, 'no-tty');
  const r = await runIr(['isolate', '-p', p.name, '--mode', 'pause', '--no-snapshot', '--case', caseDir], { env: dockerEnv(), input: 'y\ny\n' });
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/refusing to isolate .* without a terminal.*--yes/);
  // stdin held "y\ny\n": a pipe is not a terminal, it is never read as an answer
  expect(r.stdout + r.stderr).not.toContain('[y/N]');
  expect(existsSync(caseDir)).toBe(false);
  expect(await p.states()).toEqual(before);
});

test('--no-snapshot --yes without a terminal: goes on without asking, no snapshot, the journal says why', async () => {
  const caseDir = join(cases, 'yes');
  const r = await runIr(['isolate', '-p', p.name, '--mode', 'pause', '--no-snapshot', '--yes', '--json', '--case', caseDir], { env: dockerEnv() });
  expect(r.code).toBe(0);
  const out = parseJson<IsolateJson>(r);
  expect(out.selfTest?.ok).toBe(true);
  expect(out.snapshot).toBeNull();
  expectIsolated.pause!(await p.states());
  expect(readdirSync(caseDir)).toEqual(['isolation.json']);
  const j = JSON.parse(readFileSync(join(caseDir, 'isolation.json'), 'utf8')) as Journal;
  expect(j.snapshot).toBeNull();
  expect(j.snapshotSkipped).toBe('--no-snapshot (with --yes, not asked)');
  const rr = await runIr(['restore', '--case', caseDir, '--yes'], { env: dockerEnv() });
  expect(rr.code).toBe(0);
  await p.waitHealthy();
}, 120_000);

test('on a terminal, --no-snapshot asks twice: yes then no stops, nothing written or changed', async () => {
  const before = await p.states();
  const caseDir = join(cases, 'tty-yes-no');
  const r = await onTerminal(['isolate', '-p', p.name, '--mode', 'pause', '--no-snapshot', '--case', caseDir], ['y', 'n']);
  expect(r.prompts).toBe(2);
  expect(r.out).toContain(QUESTION_1);
  expect(r.out).toContain(QUESTION_2);
  expect(r.out).toMatch(/not confirmed, nothing changed/);
  expect(r.code).toBe(2);
  expect(existsSync(caseDir)).toBe(false);
  expect(await p.states()).toEqual(before);
}, 150_000);

test('on a terminal, no to the first question: the second is never asked', async () => {
  const before = await p.states();
  const caseDir = join(cases, 'tty-no');
  const r = await onTerminal(['isolate', '-p', p.name, '--mode', 'pause', '--no-snapshot', '--case', caseDir], ['n']);
  expect(r.code).toBe(2);
  expect(r.prompts).toBe(1);
  expect(r.out).not.toContain(QUESTION_2);
  expect(existsSync(caseDir)).toBe(false);
  expect(await p.states()).toEqual(before);
}, 150_000);

test('on a terminal, yes twice: isolated without a snapshot; with a snapshot it asks once', async () => {
  const caseDir = join(cases, 'tty-yes-yes');
  const r = await onTerminal(['isolate', '-p', p.name, '--mode', 'pause', '--no-snapshot', '--case', caseDir], ['y', 'y']);
  expect(r.prompts).toBe(2);
  expect(r.code).toBe(0);
  expectIsolated.pause!(await p.states());
  expect(readdirSync(caseDir)).toEqual(['isolation.json']);
  const j = JSON.parse(readFileSync(join(caseDir, 'isolation.json'), 'utf8')) as Journal;
  expect(j.snapshot).toBeNull();
  expect(j.snapshotSkipped).toBe('--no-snapshot (confirmed 2 times on the terminal)');
  // restore on the terminal asks once
  const rr = await onTerminal(['restore', '--case', caseDir], ['y']);
  expect(rr.prompts).toBe(1);
  expect(rr.code).toBe(0);
  await p.waitHealthy();

  const withSnap = join(cases, 'tty-snapshot');
  const s = await onTerminal(['isolate', '-p', p.name, '--mode', 'pause', '--case', withSnap], ['n']);
  expect(s.prompts).toBe(1);
  expect(s.out).toContain('Isolate now?');
  expect(s.out).not.toContain(QUESTION_1);
  expect(s.code).toBe(2);
  expect(existsSync(withSnap)).toBe(false);
}, 240_000);
