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
  /**
   * `pam_unix(SERVICE:auth): authentication failure; … rhost=HOST user=U`, `PAM N more authentication
   * failures`, the old spellings (`sshd(pam_unix)[PID]: authentication failure; …`, `(pam_unix) …`)
   * and sshd's `error: PAM: Authentication failure for U from HOST`
   */
  'pam.auth-failure',
  /** `check pass; user unknown`, `bad username [U]`: the next PAM failure of that process is an invalid user */
  'pam.user-unknown',
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
  /** login(1): `FAILED LOGIN 1 FROM (null) FOR root, Authentication failure`, `FAILED LOGIN (1) on '/dev/tty1' FOR 'root', …` */
  'login.failed',
  /** login(1): `ROOT LOGIN ON tty2`, `LOGIN ON tty1 BY alice` */
  'login.session',
  /** a known line that records no attempt, login or change (daemon start, `Connection from`, `Postponed publickey`, reverse-mapping notes) */
  'notice',
  /** a line of a known program that matched no pattern above: counted as not recognised */
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
  /** a line of an authentication program (sshd, sudo, su, login, or PAM in its name): counted for "recognised" */
  auth: boolean;
  /** `PAM 2 more authentication failures`: the attempts this one line stands for */
  attempts?: number;
  /** rsyslog's `message repeated N times: [ … ]`: the event happened N times */
  repeat?: number;
}
