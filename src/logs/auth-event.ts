/**
 * One parsed line of an authentication log. Plain objects (no zod on the hot path: a 1 GiB log has
 * ten million lines); the report that is printed or returned as JSON is zod-typed in auth-report.ts.
 */

export const EVENT_KINDS = [
  /** `Failed password|publickey|keyboard-interactive/pam|none for [invalid user] U from IP port N` */
  'ssh.failed',
  /** `Invalid user U from IP [port N]` (OpenSSH < 7.5 had no port; < 3.9 said "Illegal") */
  'ssh.invalid-user',
  /** `Accepted METHOD for U from IP port N ssh2[: KEYTYPE FINGERPRINT]` */
  'ssh.accepted',
  /** connection closed, reset, timed out or disconnected before authentication (`[preauth]`) */
  'ssh.preauth-disconnect',
  /** `error: maximum authentication attempts exceeded…` / `Disconnecting: Too many authentication failures` */
  'ssh.max-attempts',
  /** `User U from IP not allowed because …`, `ROOT LOGIN REFUSED FROM IP` */
  'ssh.not-allowed',
  /** `Disconnected from user U IP port N`: a logged-in session ended */
  'ssh.logout',
  /** `pam_unix(SERVICE:auth): authentication failure; … rhost=IP user=U` */
  'pam.auth-failure',
  /** `pam_unix(SERVICE:session): session opened for user U(uid=N) by V(uid=M)` */
  'session.opened',
  'session.closed',
  /** `U : TTY=… ; PWD=… ; USER=root ; COMMAND=…` */
  'sudo.command',
  /** `U : 3 incorrect password attempts ; …`, `user NOT in sudoers`, `a password is required` */
  'sudo.failed',
  /** `(to root) U on pts/0`, `Successful su for root by U`, pam_unix(su:session) opened */
  'su.session',
  /** `FAILED SU (to root) U on pts/0`, `FAILED su for root by U` */
  'su.failed',
  /** systemd-logind `New session N of user U.` */
  'logind.session',
  /** useradd / usermod / userdel / groupadd / passwd / chpasswd */
  'account.change',
  /** a line of a known program that matched no pattern above */
  'other',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface AuthEvent {
  /** milliseconds since the epoch, UTC; NaN when the line had no readable time */
  ts: number;
  host: string;
  program: string;
  pid?: number;
  kind: EventKind;
  /** the account the event is about (the one tried, logged in, running sudo, changed) */
  user?: string;
  /** remote address as sshd printed it (an address, or a name with UseDNS yes) */
  ip?: string;
  port?: number;
  /** auth method: password, publickey, keyboard-interactive/pam, none, hostbased, gssapi-with-mic */
  method?: string;
  /** the user name did not exist (`invalid user`) */
  invalidUser?: boolean;
  keyType?: string;
  fingerprint?: string;
  /** sudo: the command; su: nothing */
  command?: string;
  /** sudo `USER=`, su `(to root)`, session `for user` */
  targetUser?: string;
  tty?: string;
  cwd?: string;
  /** free text: the reason of a refusal, the account change */
  detail?: string;
  /** the message after `program[pid]: ` (capped) */
  message: string;
  /** the line as read (capped), for --tail, evidence and timelines */
  raw: string;
}
