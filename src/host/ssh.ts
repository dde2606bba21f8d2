import { shQuote } from '../core/shell.js';
import { IrError } from '../core/errors.js';
import { promises as fsp } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { AuthHandlerMiddleware, AuthenticationType, Client as SshClient, ClientChannel, ConnectConfig, SFTPWrapper, Stats as SftpStats } from 'ssh2';
import { DEFAULT_MAX_BUFFER, DEFAULT_TIMEOUT_MS, missingProgram, outputCollector } from './exec.js';
import { DEFAULT_MAX_READ } from './fs-target.js';
import type { HostSpec } from './host-spec.js';
import { parseHostSpec } from './host-spec.js';
import { appendKnownHost, keyTypeOfBlob, knownKeysFor, sha256Fingerprint, verifyHostKey } from './known-hosts.js';
import { expandTilde, expandTokens, sshConfigFor } from './ssh-config.js';
import type { DeclaredInputs, DirEntry, ExecOptions, ExecResult, FileStat, FileType, PrefetchOptions, ReadOptions, Target } from './target.js';
import { TargetError, joinPath, stoppedError } from './target.js';
import { utcNow } from '../core/time.js';
import { stepSignal } from '../core/step.js';
import { getfattr } from './xattr.js';
import { PipelinedRead } from './sftp-read.js';
import { createRequire } from 'node:module';
import { emptyRoundTrips, traceRoundTrips, type RoundTrips } from './batch/roundtrips.js';

const { Client, utils } = ssh2;

export interface SshOptions {
  /** `-i KEY`: tried before the ssh_config and default keys */
  identity?: string;
  /** `--known-hosts FILE`, instead of ~/.ssh/known_hosts */
  knownHosts?: string;
  /** record an unknown host's key instead of refusing it (never a changed key) */
  acceptNew?: boolean;
  /** every command and every read through `sudo -n` */
  sudo?: boolean;
  /** ssh_config path (default ~/.ssh/config) */
  sshConfig?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}


export class SshError extends IrError {}

function sftpType(mode: number): FileType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    default:
      return 'unknown';
  }
}

function fromSftp(a: SftpStats | { mode: number; uid: number; gid: number; size: number; atime: number; mtime: number }): FileStat {
  return { type: sftpType(a.mode), mode: a.mode & 0o7777, uid: a.uid, gid: a.gid, size: a.size, mtime: a.mtime, atime: a.atime };
}

function sftpError(err: unknown, path: string): TargetError {
  const e = err as { code?: number | string; message?: string };
  if (e.code === 2) return new TargetError('ENOENT', `${path}: no such file or directory`, path);
  if (e.code === 3) return new TargetError('EACCES', `${path}: permission denied`, path);
  return new TargetError('IO', `${path}: ${e.message ?? String(err)}`, path);
}

/** The sftp-server binary is where the distribution puts it; the script is constant, never built from input. */
const SUDO_SFTP_SCRIPT =
  'for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server /usr/libexec/sftp-server /usr/lib/misc/sftp-server; do [ -x "$p" ] && exec "$p"; done; echo "ir: no sftp-server binary found" >&2; exit 127';

interface Resolved {
  alias: string;
  host: string;
  port: number;
  user: string;
  identities: string[];
  knownHosts: string[];
  proxyJump?: string;
  identitiesOnly: boolean;
}

async function resolveSpec(spec: HostSpec, opts: SshOptions): Promise<Resolved> {
  const cfg = await sshConfigFor(spec.host, opts.sshConfig);
  const host = cfg.hostName ?? spec.host;
  const port = spec.port ?? cfg.port ?? 22;
  const user = spec.user ?? cfg.user ?? userInfo().username;
  const tokens = { host, user, port, alias: spec.host };
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
  const identities = [
    ...(opts.identity ? [expandTilde(opts.identity)] : []),
    ...cfg.identityFiles.map((f) => expandTokens(f, tokens)),
    ...(cfg.identityFiles.length === 0 && !opts.identity ? defaults : []),
  ];
  const knownHosts = opts.knownHosts
    ? [opts.knownHosts]
    : (cfg.userKnownHostsFiles?.map((f) => expandTokens(f, tokens)) ?? [join(homedir(), '.ssh', 'known_hosts'), join(homedir(), '.ssh', 'known_hosts2')]);
  return { alias: spec.host, host, port, user, identities, knownHosts, proxyJump: cfg.proxyJump, identitiesOnly: cfg.identitiesOnly ?? Boolean(opts.identity) };
}

async function loadKeys(paths: string[]): Promise<{ keys: { path: string; key: Buffer }[]; notes: string[] }> {
  const keys: { path: string; key: Buffer }[] = [];
  const notes: string[] = [];
  for (const path of paths) {
    let buf: Buffer;
    try {
      buf = await fsp.readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') notes.push(`${path}: ${(err as Error).message}`);
      continue;
    }
    const parsed = utils.parseKey(buf);
    if (parsed instanceof Error) {
      notes.push(`${path}: ${/encrypted|passphrase/i.test(parsed.message) ? 'encrypted key (load it into ssh-agent)' : parsed.message}`);
      continue;
    }
    keys.push({ path, key: buf });
  }
  return { keys, notes };
}

/** Connects one hop; `sock` is the forwarded stream of the previous hop for ProxyJump. */
async function connectHop(r: Resolved, opts: SshOptions, sock?: Readable): Promise<SshClient> {
  const { keys, notes } = await loadKeys(r.identities);
  const agent = !r.identitiesOnly || keys.length === 0 ? process.env.SSH_AUTH_SOCK : undefined;
  const known = await knownKeysFor(r.knownHosts, r.host, r.port);
  const where = r.port === 22 ? r.host : `${r.host}:${r.port}`;
  let hostKeyProblem: string | undefined;
  type AuthStep = { type: 'agent' | 'publickey'; username: string; agent?: string; key?: Buffer };
  const methods: AuthStep[] = [];
  const queue: AuthStep[] = [
    ...(agent ? [{ type: 'agent' as const, username: r.user, agent }] : []),
    ...keys.map((k) => ({ type: 'publickey' as const, username: r.user, key: k.key })),
  ];
  const authHandler: AuthHandlerMiddleware = (_left, _partial, next) => {
    const step = queue.shift();
    if (step) methods.push(step);
    next((step ?? false) as unknown as AuthenticationType);
  };
  const client = new Client();
  const config: ConnectConfig = {
    host: sock ? undefined : r.host,
    port: sock ? undefined : r.port,
    sock,
    username: r.user,
    readyTimeout: opts.connectTimeoutMs ?? 10_000,
    // a host that dies without closing the TCP connection is given up after 3 unanswered keepalives
    keepaliveInterval: 15_000,
    keepaliveCountMax: 3,
    authHandler,
    hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
      const verdict = verifyHostKey(known, key);
      const fp = sha256Fingerprint(key);
      if (verdict.status === 'match') return verify(true);
      if (verdict.status === 'changed') {
        const was = verdict.known.map((k) => `${sha256Fingerprint(k.blob)} (${k.type}, ${k.file}:${k.line})`).join(', ');
        hostKeyProblem = `${where}: HOST KEY HAS CHANGED: offered ${fp} (${keyTypeOfBlob(key)}), known ${was}; refusing (possible man-in-the-middle; if the host was reinstalled, remove the old line)`;
        return verify(false);
      }
      if (verdict.status === 'revoked') {
        hostKeyProblem = `${where}: host key ${fp} is marked @revoked in ${verdict.known.file}:${verdict.known.line}`;
        return verify(false);
      }
      if (opts.acceptNew) {
        const file = r.knownHosts[0]!;
        appendKnownHost(file, r.host, r.port, key).then(
          () => verify(true),
          (err: Error) => {
            hostKeyProblem = `${where}: cannot record the new host key in ${file}: ${err.message}`;
            verify(false);
          },
        );
        return;
      }
      hostKeyProblem = `${where}: unknown host key ${fp} (${keyTypeOfBlob(key)}), not in ${r.knownHosts.join(' or ')}; check it and rerun with --accept-new`;
      verify(false);
    }) as unknown as ConnectConfig['hostVerifier'],
  };
  return await new Promise<SshClient>((resolve, reject) => {
    const fail = (err: Error & { code?: string; level?: string }) => {
      client.removeAllListeners('ready');
      // after a timeout ssh2 may still report "Connection lost before handshake": already answered
      client.on('error', () => {});
      client.end();
      if (hostKeyProblem) return reject(new SshError(hostKeyProblem));
      if (err.code === 'ECONNREFUSED') return reject(new SshError(`${where}: connection refused`));
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return reject(new SshError(`${r.host}: unknown host (DNS lookup failed)`));
      if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return reject(new SshError(`${where}: host unreachable`));
      if (/Timed out while waiting for handshake/.test(err.message) || err.code === 'ETIMEDOUT') return reject(new SshError(`${where}: connection timed out`));
      if (err.level === 'client-authentication') {
        const tried = methods.map((m) => (m.type === 'agent' ? 'ssh-agent' : m.type)).length;
        const note = notes.length ? ` (${notes.join('; ')})` : '';
        return reject(new SshError(`${r.user}@${where}: authentication failed (${tried ? `${tried} key source(s) tried: ${r.identities.filter((p) => keys.some((k) => k.path === p)).join(', ') || 'ssh-agent'}` : 'no usable key: give -i KEY or start ssh-agent'})${note}`));
      }
      reject(new SshError(`${where}: ${err.message}`));
    };
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.on('error', () => {});
      resolve(client);
    });
    client.once('error', fail);
    client.connect(config);
  });
}

/** A remote host over SSH: exec for commands, sftp for files (through `sudo -n sftp-server` with --sudo). */
/** channels open at once on one connection: sshd's MaxSessions is 10 by default */
const MAX_CHANNELS = 9;

export class SshHost implements Target {
  readonly kind = 'ssh' as const;
  readonly live = true;
  name: string;
  private sftpP?: Promise<SFTPWrapper>;
  /** set when the connection ends without close(): every pending and later operation fails with it */
  private lost?: SshError;
  private closing = false;
  private readonly onLost = new Set<(err: SshError) => void>();
  private readonly rt: RoundTrips = emptyRoundTrips();
  /** snapshots opened on this host: their spools go when it closes */
  private readonly snapshots = new Set<Target>();

  private constructor(
    private readonly client: SshClient,
    private readonly hops: SshClient[],
    readonly spec: HostSpec,
    private readonly opts: SshOptions,
  ) {
    this.name = spec.host;
    // ssh2 leaves callbacks of requests in flight (sftp reads, exec) unanswered when the connection
    // drops; without this a dead host mid-stream would leave promises that never settle
    const drop = (why: string) => {
      if (this.closing || this.lost) return;
      this.lost = new SshError(`${this.spec.raw}: connection lost (${why})`);
      for (const f of this.onLost) f(this.lost);
      this.onLost.clear();
    };
    client.on('error', (err: Error) => drop(err.message));
    client.on('end', () => drop('closed by the remote end'));
    client.on('close', () => drop('closed'));
  }

  /** `p`, or the connection-lost error if the connection drops first. */
  private guard<T>(p: Promise<T>): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<T>((resolve, reject) => {
      const f = (err: SshError) => reject(err);
      this.onLost.add(f);
      p.then(
        (v) => {
          this.onLost.delete(f);
          resolve(v);
        },
        (err: unknown) => {
          this.onLost.delete(f);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  static async connect(spec: HostSpec | string, opts: SshOptions = {}): Promise<SshHost> {
    const s = typeof spec === 'string' ? parseHostSpec(spec) : spec;
    const r = await resolveSpec(s, opts);
    const hops: SshClient[] = [];
    let sock: Readable | undefined;
    try {
      for (const jump of r.proxyJump?.split(',') ?? []) {
        const jr = await resolveSpec(parseHostSpec(jump), { ...opts, identity: opts.identity });
        const hop = await connectHop(jr, opts, sock);
        hops.push(hop);
        sock = await new Promise<Readable>((resolve, reject) =>
          hop.forwardOut('127.0.0.1', 0, r.host, r.port, (err, ch) => (err ? reject(new SshError(`ProxyJump ${jump}: ${err.message}`)) : resolve(ch))),
        );
      }
      const client = await connectHop(r, opts, sock);
      const host = new SshHost(client, hops, s, opts);
      const name = await host.hostName().catch(async (err: unknown) => {
        await host.close();
        throw err;
      });
      if (name) host.name = name;
      return host;
    } catch (err) {
      for (const h of hops) h.end();
      throw err;
    }
  }

  /**
   * The host's name, and with --sudo the check that `sudo -n` works, in one command (one round trip:
   * the sftp session opens only if a read needs it). Without sudo, a host that runs no commands
   * (an sftp-only account) still answers through sftp.
   */
  private async hostName(): Promise<string | undefined> {
    const clean = (b: Buffer | null | undefined) => b?.toString('utf8').trim().replace(/[^A-Za-z0-9._-]/g, '') || undefined;
    if (this.opts.sudo) {
      const res = await this.run(`sudo -n sh -c ${shQuote('cat /proc/sys/kernel/hostname 2>/dev/null; true')}`, {});
      if (res.code !== 0) {
        const why = res.stderr.toString('utf8').trim().split('\n')[0] ?? '';
        throw new SshError(
          /password is required|a terminal is required/.test(why)
            ? `${this.spec.raw}: sudo needs a password for this user; allow NOPASSWD for it or connect as a user that has it (sudo said: ${why})`
            : `${this.spec.raw}: sudo -n failed: ${why || `exit ${res.code}`}`,
        );
      }
      return clean(res.stdout);
    }
    const res = await this.run('cat /proc/sys/kernel/hostname', {}).catch(() => null);
    return (res?.code === 0 ? clean(res.stdout) : undefined) ?? clean(await this.readFile('/proc/sys/kernel/hostname', { maxBytes: 256 }).catch(() => null));
  }

  /** Runs one already-quoted command line. */
  private run(command: string, opts: ExecOptions, argv: string[] = [command]): Promise<ExecResult> {
    const startedAt = utcNow();
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    // the caller's, or the playbook step's this command runs for (a snapshot's commands too)
    const signal = opts.signal ?? stepSignal();
    // a stopped step starts nothing new: a command started after the stop got its TERM before sudo
    // could pass it on, and outlived the step (CI, under load)
    if (signal?.aborted) return Promise.reject(stoppedError(this.spec.raw, signal));
    this.rt.channels++;
    this.rt.execs++;
    const debug = process.env.IR_DEBUG_BATCH ? performance.now() : 0;
    if (debug) process.stderr.write(`exec ${argv.join(' ').slice(0, 80)}\n`);
    return this.guard(this.channel(argv[0]!, (resolve, reject, release) => {
      // stopped while waiting for a channel
      if (signal?.aborted) {
        release();
        return reject(stoppedError(this.spec.raw, signal));
      }
      this.client.exec(command, (err, ch: ClientChannel) => {
        if (err) return reject(err);
        let timedOut = false;
        // out of time (or the playbook step it runs for): TERM first, which sudo passes on to the
        // command (a KILL would kill sudo and leave the command running), KILL and close a second later
        const onAbort = () => {
          if (timedOut) return;
          timedOut = true;
          signalChannel(ch, 'TERM');
          setTimeout(() => {
            signalChannel(ch, 'KILL');
            ch.close();
          }, 1000).unref();
        };
        // the connection keeps the process alive while the command runs, never its timer: a channel
        // whose 'close' never comes (the connection died under a stream that was not read to its end)
        // would keep a finished `ir` waiting for the timeout (CI: a collect whose host died, an hour)
        const timer = setTimeout(onAbort, timeoutMs).unref();
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
        const output = outputCollector(opts, maxBuffer, { stdout: ch, stderr: ch.stderr }, () => ch.close());
        ch.on('data', (d: Buffer) => output.stdout(d));
        ch.stderr.on('data', (d: Buffer) => output.stderr(d));
        ch.on('close', (code: number | null, sig?: string) => {
          clearTimeout(timer);
          release();
          signal?.removeEventListener('abort', onAbort);
          if (debug) process.stderr.write(`exec done in ${Math.round(performance.now() - debug)} ms: ${argv.join(' ').slice(0, 80)}\n`);
          resolve({
            argv,
            ...output.result(),
            code: timedOut ? null : (code ?? null),
            signal: sig ?? undefined,
            timedOut,
            startedAt,
            endedAt: utcNow(),
          });
        });
        if (opts.stdin) opts.stdin.pipe(ch);
        else if (opts.input !== undefined) ch.end(opts.input);
        else ch.end();
      });
    }));
  }

  /** channels open now (commands, kept-open shells, sftp), and those waiting for one to close */
  private openChannels = 0;
  private maxChannels = MAX_CHANNELS;
  private readonly channelWaiters: (() => void)[] = [];

  /**
   * Opens one channel when fewer than maxChannels are open (sshd's MaxSessions, 10 by default, refuses
   * more: a scan of many containers reads many layers at once). A server that refuses sooner lowers
   * the bound to what it took, and the command waits for a channel to close.
   */
  private async channel<T>(what: string, start: (resolve: (v: T) => void, reject: (e: Error) => void, release: () => void) => void): Promise<T> {
    for (;;) {
      while (this.openChannels >= this.maxChannels) await new Promise<void>((r) => this.channelWaiters.push(r));
      this.openChannels++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.openChannels--;
        this.channelWaiters.shift()?.();
      };
      try {
        return await new Promise<T>((resolve, reject) => start(resolve, reject, release));
      } catch (err) {
        release();
        if (err instanceof TargetError) throw err;
        const refused = /open failed|administratively prohibited|resource shortage/i.test((err as Error).message);
        if (!refused || this.openChannels === 0) throw new TargetError('IO', `${this.spec.raw}: cannot run ${what}: ${(err as Error).message}`);
        this.maxChannels = Math.max(1, this.openChannels);
      }
    }
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const prefix = this.opts.sudo ? 'sudo -n -- env LC_ALL=C ' : 'env LC_ALL=C ';
    const res = await this.run(prefix + argv.map(shQuote).join(' '), opts, argv);
    if (missingProgram(res)) {
      throw new TargetError('ENOENT', `${argv[0]}: command not found on ${this.name}`, argv[0]);
    }
    return res;
  }

  /** sftp as the login user, or as root through `sudo -n sftp-server` on an exec channel with --sudo. */
  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpP) {
      this.rt.channels++;
      // kept open for the host's life: it holds one of the channels
      this.openChannels++;
    }
    this.sftpP ??= this.opts.sudo ? this.sudoSftp() : new Promise((resolve, reject) => this.client.sftp((err, s) => (err ? reject(new SshError(`${this.spec.raw}: sftp: ${err.message}`)) : resolve(s))));
    return this.guard(this.sftpP);
  }

  /**
   * ssh2 only starts sftp on the `sftp` subsystem, which runs as the login user and cannot read /root,
   * the crontab spools or other users' /proc/PID/fd. We start sftp-server under `sudo -n` on an exec
   * channel and hand that channel to ssh2's own SFTP client. ssh2 has no public way to do this (its
   * `sftp()` always sends the subsystem request), so this uses two of its internals, as of ssh2 1.17
   * (package.json pins `~1.17.0`; check both when moving past 1.17): the `SFTP` class of
   * `lib/protocol/SFTP.js` (not exported by the index) and `Client._chanMgr.update(id, handler)`, which
   * routes the channel's packets to the SFTP instance. If either is gone, this says so instead of
   * misbehaving.
   */
  private sudoSftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => {
      this.rt.execs++;
      this.client.exec(`sudo -n sh -c ${shQuote(SUDO_SFTP_SCRIPT)}`, (err, ch) => {
        if (err) return reject(new SshError(`${this.spec.raw}: sudo sftp-server: ${err.message}`));
        const internal = ch as unknown as { incoming: { id: number }; outgoing: unknown; type: string };
        const chanMgr = (this.client as unknown as { _chanMgr?: { update?(id: number, v: unknown): void } })._chanMgr;
        const SFTP = sftpClass();
        if (typeof chanMgr?.update !== 'function' || !SFTP) {
          ch.close();
          return reject(new SshError(`${this.spec.raw}: --sudo reads need ssh2 1.17 internals (SFTP class, Client._chanMgr) that this ssh2 lacks; install the pinned version (npm ci)`));
        }
        const sftp = new SFTP(this.client, { type: 'session', incoming: internal.incoming, outgoing: internal.outgoing }, {}) as SFTPWrapper & { _init(): void };
        chanMgr.update(internal.incoming.id, sftp);
        const onExit = (code?: number) => reject(new SshError(`${this.spec.raw}: sudo sftp-server exited (${code ?? 'closed'})`));
        sftp.once('ready', () => {
          sftp.removeListener('exit', onExit);
          sftp.removeListener('close', onExit);
          resolve(sftp);
        });
        sftp.once('exit', onExit);
        sftp.once('close', onExit);
        sftp._init();
      });
    });
  }

  /** One sftp request, counted. */
  private req<T>(fn: (s: SFTPWrapper, done: (err: unknown, v?: T) => void) => void, path: string, absentAsNull = false): Promise<T> {
    return this.sftp().then((s) => {
      this.rt.sftp++;
      return this.guard(
        new Promise<T>((resolve, reject) =>
          fn(s, (err, v) => {
            if (!err) return resolve(v as T);
            if (absentAsNull && (err as { code?: number }).code === 2) return resolve(null as T);
            reject(sftpError(err, path));
          }),
        ),
      );
    });
  }

  private lstatRaw(path: string): Promise<FileStat | null> {
    return this.req<FileStat | null>((s, done) => s.lstat(path, (err, st) => done(err, err ? undefined : fromSftp(st))), path, true);
  }

  private statRaw(path: string): Promise<FileStat | null> {
    return this.req<FileStat | null>((s, done) => s.stat(path, (err, st) => done(err, err ? undefined : fromSftp(st))), path, true);
  }

  private counted(what: string, path: string): void {
    this.rt.perFile++;
    if (process.env.IR_DEBUG_BATCH) process.stderr.write(`per file: ${what} ${path}\n`);
  }

  async lstat(path: string): Promise<FileStat | null> {
    this.counted('lstat', path);
    return this.lstatRaw(path);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.counted('stat', path);
    return this.statRaw(path);
  }

  async list(dir: string): Promise<DirEntry[]> {
    this.counted('list', dir);
    const st = await this.statRaw(dir);
    if (!st) throw new TargetError('ENOENT', `${dir}: no such file or directory`, dir);
    if (st.type !== 'dir') throw new TargetError('ENOTDIR', `${dir}: not a directory`, dir);
    // ssh2's readdir is opendir, readdir until the end, close: three requests at least
    this.rt.sftp += 2;
    const items = await this.req<{ filename: string; attrs: SftpStats }[]>((s, done) => s.readdir(dir, (err, list) => done(err, list as never)), dir);
    return items
      .filter((i) => i.filename !== '.' && i.filename !== '..')
      .map((i) => ({ name: i.filename, path: joinPath(dir, i.filename), stat: fromSftp(i.attrs) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async readlink(path: string): Promise<string> {
    this.counted('readlink', path);
    return this.req<string>((s, done) => s.readlink(path, (err, target) => done(err, target)), path);
  }

  private async checkRegular(path: string, follow: boolean): Promise<FileStat> {
    const st = follow ? await this.statRaw(path) : await this.lstatRaw(path);
    if (!st) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    // opening a FIFO would block sftp-server for good: never open anything but a regular file
    if (st.type !== 'file') throw new TargetError(st.type === 'dir' ? 'EISDIR' : 'NOT_REGULAR', `${path}: not a regular file (${st.type})`, path);
    return st;
  }

  async readFile(path: string, opts: ReadOptions & { follow?: boolean } = {}): Promise<Buffer> {
    this.counted('readFile', path);
    const max = opts.maxBytes ?? DEFAULT_MAX_READ;
    const st = await this.checkRegular(path, opts.follow ?? true);
    const s = await this.sftp();
    const handle = await this.req<Buffer>((sf, done) => sf.open(path, 'r', (err, h) => done(err, h)), path);
    if (st.size > 64 * 1024 && max > 64 * 1024) {
      // a large file: many reads in flight, as openRead (the size is a hint: read to the end or max)
      const chunks: Buffer[] = [];
      let total = 0;
      const stream = this.pipelined(s, handle, 0, max - 1);
      for await (const c of stream) {
        chunks.push(c as Buffer);
        total += (c as Buffer).length;
      }
      return Buffer.concat(chunks, total);
    }
    try {
      // read until EOF: /proc files report size 0
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const want = Math.min(32768, max - total);
        if (want <= 0) break;
        const buf = Buffer.allocUnsafe(want);
        this.rt.sftp++;
        const n = await this.guard(
          new Promise<number>((resolve, reject) =>
            s.read(handle, buf, 0, want, total, (err, bytes) => {
              if (err && (err as { code?: number }).code === 1) return resolve(0); // EOF
              return err ? reject(sftpError(err, path)) : resolve(bytes);
            }),
          ),
        );
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
      }
      return Buffer.concat(chunks, total);
    } finally {
      if (!this.lost) {
        this.rt.sftp++;
        s.close(handle, () => {});
      }
    }
  }

  /** A pipelined read of an open handle (sftp-read.ts), closed at its end, failing with the connection. */
  private pipelined(s: SFTPWrapper, handle: Buffer, start: number, end: number): PipelinedRead {
    const stream = new PipelinedRead(
      s,
      handle,
      start,
      end,
      () => this.rt.sftp++,
      () => {
        if (this.lost) return;
        this.rt.sftp++;
        s.close(handle, () => {});
      },
    );
    // a dropped connection ends the stream with the error instead of leaving it waiting forever
    const f = (err: SshError) => stream.destroy(err);
    this.onLost.add(f);
    stream.once('close', () => this.onLost.delete(f));
    return stream;
  }

  async openRead(path: string, opts: { start?: number; end?: number } = {}): Promise<NodeJS.ReadableStream> {
    this.counted('openRead', path);
    await this.checkRegular(path, false);
    const s = await this.sftp();
    const handle = await this.req<Buffer>((sf, done) => sf.open(path, 'r', (err, h) => done(err, h)), path);
    // many reads in flight (sftp-read.ts): one at a time is ~0.6 MB/s at 50 ms of round trip
    return this.pipelined(s, handle, opts.start ?? 0, opts.end ?? Number.POSITIVE_INFINITY);
  }

  /**
   * One batch of what `inputs` declare (host/batch/): the Target it returns answers from it, and
   * reads past it come back here. Its spool goes when the snapshot or this host closes.
   */
  async prefetch(inputs: DeclaredInputs, opts?: PrefetchOptions): Promise<Target> {
    const { openSnapshot, PerFileTarget } = await import('./batch/snapshot.js');
    // IR_BATCH=0: the reads of before, one request each (comparisons, a host the batch upsets)
    if (process.env.IR_BATCH === '0') return new PerFileTarget(this, 'batches turned off (IR_BATCH=0)');
    const snap = await openSnapshot(this, inputs, opts);
    this.snapshots.add(snap);
    return snap;
  }

  async prefetchUnder(prefix: string, inputs: DeclaredInputs): Promise<Target> {
    const { openUnder } = await import('./batch/snapshot.js');
    const snap = await openUnder(this, prefix, inputs);
    this.snapshots.add(snap);
    return snap;
  }

  roundTrips(): RoundTrips {
    return this.rt;
  }

  /** Everything read here is read one request at a time (the batches are the snapshot's). */
  readBy(): string {
    return 'sftp';
  }

  /** The connection answers within 15 s (a dropped one makes every later read fail the same way). */
  async alive(): Promise<boolean> {
    const probe = this.lstatRaw('/').then(
      () => true,
      () => false,
    );
    return Promise.race([probe, new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref())]);
  }

  xattrs(path: string, names?: string[]): Promise<Record<string, Buffer>> {
    return getfattr((argv) => this.exec(argv, { privileged: true }), path, names);
  }

  async close(): Promise<void> {
    for (const snap of this.snapshots) await snap.close().catch(() => {});
    this.snapshots.clear();
    traceRoundTrips(this.name, this.rt);
    this.closing = true;
    this.client.end();
    for (const h of this.hops.reverse()) h.end();
  }
}

/**
 * Sends a signal to the command of an exec channel (sshd signals its process group). ssh2's
 * `ch.signal()` sends nothing once stdin was ended (it checks `writable`), which is every command given
 * no input, so the timeout never reached the command; the request only needs the channel not closed,
 * so this goes to ssh2 1.17's protocol object (pinned, see sudoSftp), or says nothing if it is gone.
 */
function signalChannel(ch: ClientChannel, name: string): void {
  const c = ch as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal?(id: number, s: string): void } } };
  const proto = c._client?._protocol;
  if (c.outgoing && (c.outgoing.state === 'open' || c.outgoing.state === 'eof') && typeof proto?.signal === 'function') proto.signal(c.outgoing.id, name);
  else ch.signal(name);
}

type SftpCtor = new (...a: unknown[]) => SFTPWrapper;
let sftpCtor: SftpCtor | null | undefined;

/** ssh2 1.17 does not export SFTP from its index; its module path (pinned, see sudoSftp). */
function sftpClass(): SftpCtor | null {
  if (sftpCtor === undefined) {
    try {
      sftpCtor = ((ssh2 as unknown as { SFTP?: SftpCtor }).SFTP ?? (createRequire(import.meta.url)('ssh2/lib/protocol/SFTP.js') as { SFTP?: SftpCtor }).SFTP) ?? null;
    } catch {
      sftpCtor = null;
    }
  }
  return sftpCtor;
}
