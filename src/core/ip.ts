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
