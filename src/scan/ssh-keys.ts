import { sha256Fingerprint, keyTypeOfBlob } from '../host/known-hosts.js';

export const KEY_TYPES = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)(-cert-v01@openssh\.com)?$/;

export interface AuthorizedKey {
  type: string;
  /** `SHA256:…` exactly as `ssh-keygen -lf` prints it */
  fingerprint: string;
  bits?: number;
  comment: string;
  /** parsed options: `command="…"`, `from="…"`, `environment="…"`, flags like `no-pty` */
  options: Record<string, string | true>;
  optionsRaw: string;
  blob: string;
}

/** Splits an authorized_keys options field at commas outside double quotes. */
function splitOptions(s: string): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  let cur = '';
  let quoted = false;
  const flush = () => {
    if (!cur) return;
    const eq = cur.indexOf('=');
    const name = (eq < 0 ? cur : cur.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? true : cur.slice(eq + 1).replace(/^"(.*)"$/s, '$1').replace(/\\"/g, '"');
    // several from=/permitopen= options are allowed: keep them all
    out[name] = typeof out[name] === 'string' && typeof value === 'string' ? `${out[name]},${value}` : value;
    cur = '';
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && quoted && i + 1 < s.length) {
      cur += ch + s[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) flush();
    else cur += ch;
  }
  flush();
  return out;
}

/** Length of the options field: up to the first whitespace outside double quotes. */
function optionsEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && quoted) {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) return i;
  }
  return line.length;
}

function rsaBits(blob: Buffer): number | undefined {
  try {
    let off = 0;
    const str = () => {
      const len = blob.readUInt32BE(off);
      const v = blob.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      return v;
    };
    str(); // type
    str(); // e
    let n = str();
    while (n.length && n[0] === 0) n = n.subarray(1);
    return n.length ? (n.length - 1) * 8 + (32 - Math.clz32(n[0]!)) : undefined;
  } catch {
    return undefined;
  }
}

function bitsOf(type: string, blob: Buffer): number | undefined {
  if (type.includes('ed25519')) return 256;
  const ec = /nistp(\d+)/.exec(type);
  if (ec) return Number(ec[1]);
  if (type.startsWith('ssh-rsa')) return rsaBits(blob);
  if (type.startsWith('ssh-dss')) return 1024;
  return undefined;
}

/** Parses one authorized_keys line; throws with a reason when it is malformed. */
export function parseAuthorizedKey(line: string): AuthorizedKey {
  let rest = line.trim();
  let optionsRaw = '';
  const first = rest.split(/\s+/, 1)[0]!;
  if (!KEY_TYPES.test(first)) {
    const end = optionsEnd(rest);
    optionsRaw = rest.slice(0, end);
    rest = rest.slice(end).trim();
  }
  const m = /^(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/.exec(rest);
  if (!m || !KEY_TYPES.test(m[1]!)) throw new Error('not an SSH public key line');
  const blob = Buffer.from(m[2]!, 'base64');
  const inner = keyTypeOfBlob(blob);
  if (inner !== m[1]) throw new Error(`key data does not match its type (${m[1]} vs ${inner})`);
  return {
    type: m[1]!,
    fingerprint: sha256Fingerprint(blob),
    bits: bitsOf(m[1]!, blob),
    comment: m[3]?.trim() ?? '',
    options: optionsRaw ? splitOptions(optionsRaw) : {},
    optionsRaw,
    blob: m[2]!,
  };
}
