import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { globRegExp } from './openssh-syntax.js';

/** `SHA256:…` exactly as `ssh-keygen -lf` prints it: unpadded base64 of the SHA-256 of the key blob. */
export function sha256Fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len > 64 || blob.length < 4 + len) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The host name as known_hosts stores it: `name` on port 22, `[name]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  return globRegExp(pattern, 'i').test(name);
}

/** One known_hosts host field against a name: plain patterns (with `!` negation) or a hashed `|1|salt|hash`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) {
      if (globMatch(pat.slice(1), name)) return false;
    } else if (globMatch(pat, name)) matched = true;
  }
  return matched;
}

export interface KnownKey {
  type: string;
  blob: Buffer;
  file: string;
  line: number;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { status: 'match'; known: KnownKey }
  | { status: 'revoked'; known: KnownKey }
  | { status: 'changed'; known: KnownKey[] }
  | { status: 'unknown' };

/** Entries of known_hosts files that name `host` (with port). @cert-authority lines are skipped. */
export async function knownKeysFor(files: string[], host: string, port: number): Promise<KnownKey[]> {
  const names = [knownHostsName(host, port)];
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      let fields = line.split(/\s+/);
      let revoked = false;
      if (fields[0]?.startsWith('@')) {
        if (fields[0] === '@cert-authority') return;
        revoked = fields[0] === '@revoked';
        fields = fields.slice(1);
      }
      const [hostField, type, b64] = fields;
      if (!hostField || !type || !b64) return;
      if (!names.some((n) => hostFieldMatches(hostField, n))) return;
      out.push({ type, blob: Buffer.from(b64, 'base64'), file, line: i + 1, revoked });
    });
  }
  return out;
}

/** OpenSSH's rule: a matching key is accepted; a key of the host that differs is a change; none known is unknown. */
export function verifyHostKey(known: KnownKey[], offered: Buffer): HostKeyVerdict {
  const same = known.find((k) => k.blob.equals(offered));
  if (same) return same.revoked ? { status: 'revoked', known: same } : { status: 'match', known: same };
  const live = known.filter((k) => !k.revoked);
  if (live.length > 0) return { status: 'changed', known: live };
  return { status: 'unknown' };
}

/** Records a newly accepted key (`--accept-new`), hashed like `HashKnownHosts yes`. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  const salt = randomBytes(20);
  const mac = createHmac('sha1', salt).update(knownHostsName(host, port)).digest('base64');
  await fsp.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await fsp.appendFile(file, `|1|${salt.toString('base64')}|${mac} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
