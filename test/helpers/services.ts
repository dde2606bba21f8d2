import { readFileSync } from 'node:fs';

/**
 * The real services that test/services/start.sh started (sshd, fail2ban, dockerd, a remote netns host),
 * described by STATE/env.json. In CI they must be there: a missing service fails the test instead of
 * skipping it, so a broken start script can never turn into a green run.
 */
export const STATE = process.env.IR_SVC_STATE ?? '/tmp/ir-svc';

export type ServiceEnv = Record<string, string>;

let cached: ServiceEnv | null | undefined;

export function serviceEnv(): ServiceEnv {
  if (cached === undefined) {
    try {
      cached = JSON.parse(readFileSync(`${STATE}/env.json`, 'utf8')) as ServiceEnv;
    } catch {
      cached = null;
    }
  }
  if (!cached) throw new Error(`test services are not running: start them with bash test/services/start.sh ${STATE}`);
  return cached;
}

/** Environment for the CLI: DOCKER_HOST and friends pointing at the test engine. */
export function dockerEnv(): NodeJS.ProcessEnv {
  const e = serviceEnv();
  return { DOCKER_HOST: e.DOCKER_HOST, DOCKER_CONFIG: e.DOCKER_CONFIG };
}

/** ssh flags for the test sshd as the non-root `deploy` user with sudo, as the hardening guide logs in. */
export function sshArgs(opts: { sudo?: boolean; hashed?: boolean } = {}): string[] {
  const e = serviceEnv();
  return [
    '--host',
    `${e.IR_SSH_USER}@${e.IR_SSH_HOST}:${e.IR_SSH_PORT}`,
    '-i',
    e.IR_SSH_KEY!,
    '--known-hosts',
    (opts.hashed ? e.IR_KNOWN_HOSTS_HASHED : e.IR_KNOWN_HOSTS)!,
    ...(opts.sudo === false ? [] : ['--sudo']),
  ];
}
