import { IrError } from '../core/errors.js';
/** `--host [user@]name[:port]`; IPv6 as `[2001:db8::1]:2222` or bare. Repeatable later for fleets. */
export interface HostSpec {
  /** what the user typed, used as the ssh_config alias and in messages */
  raw: string;
  user?: string;
  host: string;
  port?: number;
}

export class HostSpecError extends IrError {}

/**
 * Characters no host name, address, user or ssh_config alias holds, and that would mean something to
 * a shell or a terminal: refused before any lookup (`--host 'a;b'` never reaches DNS). `_` stays valid
 * (ssh_config aliases use it).
 */
const FORBIDDEN = /[\s;|&$'"`\\<>(){}*?!#~\x00-\x1f\x7f-\x9f]/;

export function parseHostSpec(raw: string): HostSpec {
  const s = raw.trim();
  if (!s) throw new HostSpecError('--host: empty; expected [user@]name[:port]');
  const bad = FORBIDDEN.exec(s);
  if (bad) throw new HostSpecError(`--host ${JSON.stringify(raw)}: ${/\s/.test(bad[0]) ? 'whitespace' : /[\x00-\x1f\x7f-\x9f]/.test(bad[0]) ? 'a control character' : `"${bad[0]}"`} is not allowed in a host name; expected [user@]name[:port] or an ssh_config alias`);
  if (s.startsWith('-')) throw new HostSpecError(`--host ${JSON.stringify(raw)}: a host name cannot start with "-"; expected [user@]name[:port]`);
  let rest = s;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) throw new HostSpecError(`--host ${raw}: empty user name`);
  }
  let host = rest;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [h, p] = rest.split(':');
    host = h!;
    if (!/^\d+$/.test(p!)) throw new HostSpecError(`--host ${raw}: port must be a number`);
    port = Number(p);
  }
  if (!host) throw new HostSpecError(`--host ${raw}: empty host name`);
  if (port !== undefined && (port < 1 || port > 65535)) throw new HostSpecError(`--host ${raw}: port out of range`);
  return { raw: s, user, host, port };
}
