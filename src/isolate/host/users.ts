import { posix } from 'node:path';
import type { Target } from '../../host/target.js';
import { passwdLine, shadowLine, type Account, type Parsed, type ShadowEntry } from '../../host/facts/passwd.js';
import type { HostStep, UserBefore } from './schema.js';

/** sshd's AuthorizedKeysFile tokens: %h home, %u user, %% a percent; relative paths are under home. */
export function expandAuthorizedKeys(patterns: string[], user: string, home: string): string[] {
  return patterns
    .filter((p) => p !== 'none')
    .map((p) => p.replace(/%%|%h|%u/g, (t) => (t === '%%' ? '%' : t === '%h' ? home : user)))
    .map((p) => (posix.isAbsolute(p) ? p : posix.join(home, p)));
}

/** One account's line of an NSS database as the host sees it (`getent DB USER`, as root), read by that file's one parser; null when there is none. */
async function getent<T>(target: Target, db: 'passwd' | 'shadow', user: string, line: (raw: string, n: number) => Parsed<T>): Promise<T | null> {
  const r = await target.exec(['getent', db, user], { privileged: true });
  const p = r.code === 0 ? line(r.stdout.toString('utf8').trim(), 1) : null;
  return p && 'entry' in p ? p.entry : null;
}

const getentPasswd = (target: Target, user: string): Promise<Account | null> => getent(target, 'passwd', user, passwdLine);
export const getentShadow = (target: Target, user: string): Promise<ShadowEntry | null> => getent(target, 'shadow', user, shadowLine);

/** The user as it is before locking: password lock, expiry, the authorized_keys files that exist. */
export async function userBefore(target: Target, user: string, keyPatterns: string[]): Promise<UserBefore> {
  const pw = await getentPasswd(target, user);
  if (!pw) throw new Error(`no user ${user} on ${target.name}`);
  const home = pw.home || '/';
  const sh = await getentShadow(target, user);
  const keys = await existingPaths(target, expandAuthorizedKeys(keyPatterns, user, home));
  return { user, home, passwordLocked: (sh?.hash ?? '').startsWith('!'), expire: sh?.expire ?? '', authorizedKeys: keys };
}

export function lockSteps(u: UserBefore, id: string): HostStep[] {
  const steps: HostStep[] = [];
  if (!u.passwordLocked) steps.push({ kind: 'lock-password', subject: u.user, argv: ['usermod', '-L', u.user] });
  // expiry stops key logins too (a locked password alone does not, with UsePAM yes)
  steps.push({ kind: 'expire-account', subject: u.user, argv: ['usermod', '-e', '1', u.user], why: `expiry before: ${u.expire || 'never'}` });
  for (const f of u.authorizedKeys) steps.push({ kind: 'move-keys', subject: u.user, argv: ['mv', '-n', f, `${f}.ir-locked-${id}`] });
  return steps;
}

/** `usermod -e` takes a date; shadow stores days since 1970-01-01. */
export function expireDate(days: string): string {
  return days === '' ? '' : new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
}

export function unlockSteps(u: UserBefore, done: HostStep[]): HostStep[] {
  const steps: HostStep[] = [];
  for (const s of [...done].reverse()) {
    if (s.kind === 'move-keys') steps.push({ kind: 'restore-keys', subject: u.user, argv: ['mv', '-n', s.argv[3]!, s.argv[2]!] });
    if (s.kind === 'expire-account') steps.push({ kind: 'unexpire-account', subject: u.user, argv: ['usermod', '-e', expireDate(u.expire), u.user] });
    if (s.kind === 'lock-password') steps.push({ kind: 'unlock-password', subject: u.user, argv: ['usermod', '-U', u.user] });
  }
  return steps;
}

export function killSessionsStep(user: string): HostStep {
  // every process of the user: its shells, its sshd session children, what it left running
  return { kind: 'kill-sessions', subject: user, argv: ['pkill', '-KILL', '-u', user], why: 'cannot be undone; the process list is in the journal' };
}

/** Which of these paths exist, in one command (sftp under sudo would cost a round trip each). */
export async function existingPaths(target: Target, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const res = await target.exec(['sh', '-c', 'for f; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\\n" "$f"; fi; done', 'sh', ...paths], { privileged: true });
  const seen = new Set(res.stdout.toString('utf8').split('\n'));
  return paths.filter((p) => seen.has(p));
}
