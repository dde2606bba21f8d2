import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { TABLE_FAMILY, TABLE_NAME } from './schema.js';

export interface QuarantineSpec {
  allow: string[];
  sshPorts: number[];
  keepEstablished: boolean;
}

/** An address or CIDR; throws on anything else (it ends up inside an nft ruleset). */
export function addressFamily(addr: string): 4 | 6 {
  const [ip, bits, extra] = addr.split('/');
  const fam = isIP(ip ?? '');
  const max = fam === 4 ? 32 : 128;
  if (!fam || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) throw new Error(`not an IP address or CIDR: ${addr}`);
  return fam as 4 | 6;
}

/**
 * Velociraptor's quarantine as one nftables table: input, output and forward drop everything except
 * loopback, SSH to sshd's ports from the responder's addresses, and (unless --drop-established) the
 * sessions already open. Priority -10 runs after conntrack (-200), so `ct state` is known. A drop in
 * any base chain is final, so other tables cannot let traffic past it, and it never edits them.
 */
export function quarantineRuleset(s: QuarantineSpec): string {
  const v4 = s.allow.filter((a) => addressFamily(a) === 4);
  const v6 = s.allow.filter((a) => addressFamily(a) === 6);
  const ports = `{ ${[...new Set(s.sshPorts)].sort((a, b) => a - b).join(', ')} }`;
  const set = (name: string, type: string, els: string[]) => `  set ${name} {\n    type ${type}\n    flags interval\n${els.length ? `    elements = { ${els.join(', ')} }\n` : ''}  }`;
  const est = s.keepEstablished ? ['    ct state established,related accept'] : [];
  return [
    `table ${TABLE_FAMILY} ${TABLE_NAME} {`,
    set('responder4', 'ipv4_addr', v4),
    set('responder6', 'ipv6_addr', v6),
    '  chain input {',
    '    type filter hook input priority -10; policy drop;',
    '    iif "lo" accept',
    ...est,
    `    ip saddr @responder4 tcp dport ${ports} accept`,
    `    ip6 saddr @responder6 tcp dport ${ports} accept`,
    // IPv6 needs neighbour discovery to reach the responder at all
    '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept',
    '  }',
    '  chain output {',
    '    type filter hook output priority -10; policy drop;',
    '    oif "lo" accept',
    ...est,
    `    ip daddr @responder4 tcp sport ${ports} accept`,
    `    ip6 daddr @responder6 tcp sport ${ports} accept`,
    '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority -10; policy drop;',
    '  }',
    '}',
    '',
  ].join('\n');
}

export const REVERT_RULESET = `delete table ${TABLE_FAMILY} ${TABLE_NAME}\n`;

/** `nft list ruleset` without packet counters and handles, which change on their own, and without ir's table. */
export function normalizeRuleset(text: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`table ${TABLE_FAMILY} ${TABLE_NAME} `)) skipping = true;
    if (!skipping && line.trim()) out.push(line.replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/ # handle \d+$/, '').trimEnd());
    if (skipping && line === '}') skipping = false;
  }
  return out.join('\n');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The first lines that differ between two normalized rulesets, for a failed check. */
export function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i + 1}: before "${x[i] ?? ''}", now "${y[i] ?? ''}"`;
  return 'identical';
}
