import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';
import { dockerEnv, serviceEnv } from '../helpers/services.js';

/**
 * A Compose project of the isolate tests' own on the real dockerd of test/services: a copy of
 * test/fixtures/isolate/compose.yaml (`web` on `edge` + internal `inner`, `cache` on `inner` with the
 * alias `kv`) under its own -p name, so the shared `irtest` project is never touched.
 */
export const run = promisify(execFile);
export const localDockerEnv = { ...process.env, ...dockerEnv() } as NodeJS.ProcessEnv;

export interface Seen {
  name: string;
  id: string;
  status: string;
  paused: boolean;
  health?: string;
  networks: string[];
  restart: string;
}

export async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args, { env: localDockerEnv, maxBuffer: 64 << 20 })).stdout;
}

export class TestProject {
  readonly dir: string;
  readonly file: string;

  /** compose: the argv that brings it up and down (default `docker compose`; `docker-compose` for v1) */
  constructor(readonly name: string, private readonly compose: string[] = ['docker', 'compose']) {
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
    this.file = join(this.dir, 'compose.yaml');
    copyFileSync(join(ROOT, 'test/fixtures/isolate/compose.yaml'), this.file);
  }

  async composeRun(...args: string[]): Promise<string> {
    const [cmd, ...pre] = this.compose;
    return (await run(cmd!, [...pre, '-p', this.name, '-f', this.file, ...args], { env: localDockerEnv, cwd: this.dir, maxBuffer: 16 << 20 })).stdout;
  }

  async up(): Promise<void> {
    await this.composeRun('up', '-d');
    await this.waitHealthy();
  }

  /** State of every container of the project, by name, as the engine reports it. */
  async states(): Promise<Record<string, Seen>> {
    const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${this.name}`)).split('\n').filter(Boolean);
    if (!ids.length) return {};
    const raw = JSON.parse(await docker('inspect', ...ids)) as {
      Id: string;
      Name: string;
      State: { Status: string; Paused: boolean; Health?: { Status: string } };
      HostConfig: { RestartPolicy: { Name: string } };
      NetworkSettings: { Networks: Record<string, unknown> };
    }[];
    return Object.fromEntries(
      raw.map((c) => [
        c.Name.slice(1),
        { name: c.Name.slice(1), id: c.Id, status: c.State.Status, paused: c.State.Paused, health: c.State.Health?.Status, networks: Object.keys(c.NetworkSettings.Networks).sort(), restart: c.HostConfig.RestartPolicy.Name },
      ]),
    );
  }

  async waitHealthy(ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const s = Object.values(await this.states());
      if (s.length === 2 && s.every((c) => c.status === 'running' && !c.paused && (!c.health || c.health === 'healthy'))) return;
      if (Date.now() > end) throw new Error(`project ${this.name} did not become healthy: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Whatever a failed test left: unpause, then remove the project and its networks (it has no volumes). */
  async remove(): Promise<void> {
    const ids = (await docker('ps', '-q', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', 'status=paused').catch(() => '')).split('\n').filter(Boolean);
    if (ids.length) await docker('unpause', ...ids).catch(() => '');
    await this.composeRun('down', '--timeout', '1').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Brings the project up before the file's tests and removes it (and `dirs`) after them. */
export function useProject(p: TestProject, ...dirs: string[]): void {
  beforeAll(async () => {
    serviceEnv();
    await p.up();
  }, 120_000);
  afterAll(async () => {
    await p.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 120_000);
}

export const randomName = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 8)}`;

/** What each mode must have done, as the engine reports it. */
export const expectIsolated: Record<string, (s: Record<string, Seen>) => void> = {
  down: (s) => expect(Object.keys(s)).toHaveLength(0),
  stop: (s) =>
    Object.values(s).forEach((c) => {
      expect(c.status).toBe('exited');
      expect(c.restart).toBe('no');
    }),
  pause: (s) => Object.values(s).forEach((c) => expect(c.paused).toBe(true)),
  network: (s) =>
    Object.values(s).forEach((c) => {
      expect(c.status).toBe('running');
      expect(c.networks).toEqual([]);
    }),
};

export interface IsolateJson {
  dryRun: boolean;
  case: string;
  journal: string;
  plan: { kind: string; subject: string; argv: string[] }[];
  snapshot: { path: string; files: number } | null;
  selfTest?: { ok: boolean; checks: { subject: string; ok: boolean }[] };
  seconds: { total: number; snapshot?: number; act?: number; selfTest?: number };
}
