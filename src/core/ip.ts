import { isIP } from 'node:net';

/**
 * One canonical spelling per address, so every guard compares addresses and never strings: IPv4 as
 * four decimal numbers; IPv6 in lower case, compressed as RFC 5952 says (WHATWG URL's serializer);
 * an IPv4-mapped IPv6 address (::ffff:7f00:1, ::ffff:127.0.0.1) as the IPv4 address it is. A zone
 * (%eth0) is kept. Null when the text is not an address (and "127.1" or "0177.0.0.1", which
 * inet_aton would take, are not: they are refused, never guessed).
 */
export function canonicalIp(text: string): string | null {
  const s = text.trim();
  const fam = isIP(s);
  if (fam === 4) return s;
  if (fam !== 6) return null;
  const pct = s.indexOf('%');
  const [addr, zone] = pct < 0 ? [s, ''] : [s.slice(0, pct), s.slice(pct)];
  let host: string;
  try {
    host = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped && !zone) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return host + zone.toLowerCase();
}

/** Both texts name the same address (false when either is not an address). */
export function sameIp(a: string, b: string): boolean {
  const x = canonicalIp(a);
  return x !== null && x === canonicalIp(b);
}

/** 127.0.0.0/8 and ::1, however spelled. */
export function isLoopbackIp(text: string): boolean {
  const c = canonicalIp(text);
  return c !== null && (c === '::1' || /^127\./.test(c));
}

/**
 * The classic inet_aton reading of an IPv4 text (what ping, curl, glibc's resolver and iptables'
 * `-s` take): one to four numbers, each decimal, octal with a leading 0, or hex with 0x, the last one
 * filling the remaining bytes. Null when inet_aton would refuse it too.
 */
export function inetAton(text: string): string | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9]\d*)$/.test(p)) return null;
    const n = /^0[xX]/.test(p) ? parseInt(p.slice(2) || '0', 16) : p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : Number(p);
    if (!Number.isSafeInteger(n)) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null;
  let v = last;
  nums.forEach((n, i) => (v += n * 2 ** (8 * (3 - i))));
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/**
 * Why a text is not an address as ir takes one, in words a responder can act on; null when it is one.
 * The spellings other tools read differently (127.1, 0177.0.0.1, 0x7f.1) say what they would read.
 */
export function ipSpellingProblem(text: string): string | null {
  const s = text.trim();
  if (canonicalIp(s) !== null) return null;
  if (s === '') return 'empty';
  if (/^\[.*\]$/.test(s)) return 'brackets: give the address alone';
  if (s.includes('/')) return 'a network, not one address';
  const aton = /^[0-9a-fA-FxX.]+$/.test(s) && /^\d/.test(s) ? inetAton(s) : null;
  if (aton) {
    if (s.split('.').length < 4) return `an abbreviated IPv4 address, which other tools read as ${aton}: write all four numbers`;
    if (/(^|\.)0[xX]/.test(s)) return `a hexadecimal IPv4 spelling, which other tools read as ${aton}: write four decimal numbers`;
    return `leading zeros, which other tools read as octal (${aton}): write four decimal numbers without them`;
  }
  if (/^\d+(\.\d+){3}$/.test(s)) return 'a number above 255';
  return 'not an IPv4 or IPv6 address';
}
