import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { execLocal } from '../../src/host/exec.js';
import { ImageHost } from '../../src/host/image.js';
import { openSnapshot } from '../../src/host/batch/snapshot.js';
import type { ExecOptions, Target } from '../../src/host/target.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { FACTS_READ } from '../../src/scan/engine.js';
import { Facts } from '../../src/scan/facts.js';
import { DETECTORS } from '../../src/scan/registry.js';
import { CHECKS } from '../../src/sweep/registry.js';
import { SweepContext } from '../../src/sweep/context.js';
import { hostileRoot } from '../helpers/hostile.js';

/**
 * Declared inputs are exact (STYLE.md §7): each detector and sweep check runs on a snapshot of the
 * fixtures made from its own declaration only (the batch run here, under the fixture as prefix), and
 * every read the snapshot could not answer is listed. A read outside the declaration fails the test,
 * unless it is one of the run-time discoveries below (a path found in a file's content, which the
 * follow-up batches are for): declare the path in the unit's `locations` / `reads`, or add it here
 * with why.
 */
const DISCOVERED: Record<string, { re: RegExp; why: string }[]> = {
  systemd: [{ re: /^\/(usr\/)?(s?bin|lib|libexec|opt|tmp|var|dev|srv|home|root)\//, why: 'ExecStart= and other command paths of the units' }],
  'shell-startup': [{ re: /./, why: 'files sourced by the start-up files' }],
  cron: [{ re: /./, why: 'the scripts a cron line runs' }],
  'ld-preload': [{ re: /\.so|\/lib/, why: 'libraries named in ld.so.preload and LD_PRELOAD lines' }],
  pam: [{ re: /\/security\/|\.so$/, why: 'the modules PAM lines name' }],
  'boot-scripts': [{ re: /./, why: 'the targets of /etc/rc?.d links' }],
  'at-jobs': [{ re: /./, why: 'the commands of at jobs' }],
  'authorized-keys': [{ re: /./, why: 'AuthorizedKeysFile paths (%h, %u: /etc/ssh/keys/%u) of sshd_config' }],
  webshell: [{ re: /./, why: 'web roots of the server configuration (root, alias, DocumentRoot)' }],
  polkit: [{ re: /./, why: 'programs the rules name' }],
  udev: [{ re: /./, why: 'programs RUN+= names' }],
  'xdg-autostart': [{ re: /./, why: 'programs Exec= names' }],
  motd: [{ re: /./, why: 'programs the scripts run' }],
  'nm-dispatcher': [{ re: /./, why: 'programs the hooks run' }],
  'kernel-modules': [{ re: /./, why: 'programs install lines run' }],
  'apt-hooks': [{ re: /./, why: 'programs the hooks run' }],
  'anti-forensics': [{ re: /_history$|\/\.(bash|zsh|sh|ash|python|mysql|psql)|history/, why: 'HISTFILE set in a start-up file' }],
  suid: [{ re: /./, why: 'walked trees (find is not run offline)' }],
  privilege: [],
  git: [{ re: /^\/(srv|opt|var\/www|usr\/share\/nginx|root|home)\//, why: 'the repositories: found by one find on a live host, by a walk offline (app directories, web roots, homes), then their config and hooks' }],
  'tmp-executables': [{ re: /^\/(tmp|var\/tmp|dev\/shm|run\/shm)\//, why: 'files with an exec bit: found by one find on a live host, by a walk offline, then their first bytes' }],
  containers: [{ re: /\/var\/lib\/docker\//, why: 'the containers found in the data root' }],
};

/** The same for sweep checks, by id. */
const DISCOVERED_CHECKS: { ids: RegExp; re: RegExp; why: string }[] = [
  { ids: /^IR-(APP|LOG|DJA)-/, re: /^\/(srv|opt|home|var\/www|tmp)\//, why: 'the app directories the units and Compose files name (APP)' },
  { ids: /^IR-TLS-/, re: /\.(pem|crt)$/, why: 'ssl_certificate files named in nginx' },
];

/** The batch's default limit on one file's content (openSnapshot's maxFileBytes). */
const BATCH_MAX_FILE = 1 << 20;

/** Where the batch runs: here, as `sh -s` (the fixture is on this machine). */
const runner = { name: 'fixture', exec: (argv: string[], opts?: ExecOptions) => execLocal(argv, opts) };

/** The fixture read directly, every read after the batch recorded: those are the snapshot's misses. */
function recording(t: Target): { target: Target; reads: string[]; start(): void } {
  const reads: string[] = [];
  let on = false;
  const rec = (op: string) => (path: string, ...rest: unknown[]) => {
    if (on) reads.push(`${op} ${path}`);
    return (t as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!.call(t, path, ...rest);
  };
  const target = Object.assign(Object.create(t) as Target, { lstat: rec('lstat'), stat: rec('stat'), list: rec('list'), readlink: rec('readlink'), readFile: rec('readFile'), openRead: rec('openRead') });
  return { target, reads, start: () => (on = true) };
}

async function misses(root: string, paths: string[], run: (t: Target) => Promise<unknown>): Promise<string[]> {
  const image = await ImageHost.open(root);
  const rec = recording(image);
  const snap = await openSnapshot(rec.target, { paths }, { prefix: image.root, runner, followUps: 0 });
  expect(snap.reading?.().mode).toBe('batch');
  rec.start();
  try {
    await run(snap);
  } finally {
    await snap.close();
  }
  // a file over the batch's size limit is read on its own, by design (its metadata came in the batch)
  const big = (r: string) => /^(openRead|readFile) /.test(r) && (lstatSync(join(image.root, r.slice(r.indexOf(' ') + 1)), { throwIfNoEntry: false })?.size ?? 0) > BATCH_MAX_FILE;
  return [...new Set(rec.reads)].filter((r) => !big(r));
}

const undeclared = (id: string, reads: string[]) => reads.filter((r) => !(DISCOVERED[id] ?? []).some((d) => d.re.test(r.slice(r.indexOf(' ') + 1))));

describe('every detector reads what it declares', () => {
  // the hostile root once its cases exist (other helpers add them)
  const roots = () => {
    try {
      return ['examples/compromised-host', hostileRoot()];
    } catch {
      return ['examples/compromised-host'];
    }
  };
  for (const d of DETECTORS.filter((x) => !x.liveOnly && !x.deepOnly)) {
    test(d.id, async () => {
      for (const root of roots()) {
        const reads = await misses(root, [...FACTS_READ, ...d.locations], (t) => d.run({ target: t, policy: defaultPolicy(), deep: false, facts: new Facts(t) }));
        expect({ root, undeclared: undeclared(d.id, reads) }).toEqual({ root, undeclared: [] });
      }
    }, 120_000);
  }
});

describe('every sweep check reads what it declares', () => {
  for (const c of CHECKS.filter((x) => !x.liveOnly)) {
    test(c.id, async () => {
      for (const root of ['test/fixtures/sweep/good', 'test/fixtures/sweep/bad']) {
        const reads = await misses(root, c.reads, (t) => Promise.resolve(c.run(new SweepContext(t, defaultPolicy(), {}))).catch(() => undefined));
        const allowed = DISCOVERED_CHECKS.filter((d) => d.ids.test(c.id));
        expect({ root, undeclared: reads.filter((r) => !allowed.some((d) => d.re.test(r.slice(r.indexOf(' ') + 1)))) }).toEqual({ root, undeclared: [] });
      }
    }, 120_000);
  }
});
