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
  const ports = `{ ${[...new Set(s.sshPorts)].sort((a, b) => a - b).join(', ')} }`;
  // one set and one accept rule per address family, in the same order everywhere
  const fams = ([[4, 'ip', 'ipv4_addr'], [6, 'ip6', 'ipv6_addr']] as const).map(([fam, match, type]) => ({ name: `responder${fam}`, match, type, els: s.allow.filter((a) => addressFamily(a) === fam) }));
  const sets = fams.map((f) => `  set ${f.name} {\n    type ${f.type}\n    flags interval\n${f.els.length ? `    elements = { ${f.els.join(', ')} }\n` : ''}  }`);
  const responder = (dir: 'saddr' | 'daddr', port: 'dport' | 'sport') => fams.map((f) => `    ${f.match} ${dir} @${f.name} tcp ${port} ${ports} accept`);
  const est = s.keepEstablished ? ['    ct state established,related accept'] : [];
  return [
    `table ${TABLE_FAMILY} ${TABLE_NAME} {`,
    ...sets,
    '  chain input {',
    '    type filter hook input priority -10; policy drop;',
    '    iif "lo" accept',
    ...est,
    ...responder('saddr', 'dport'),
    // IPv6 needs neighbour discovery to reach the responder at all
    '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept',
    '  }',
    '  chain output {',
    '    type filter hook output priority -10; policy drop;',
    '    oif "lo" accept',
    ...est,
    ...responder('daddr', 'sport'),
    '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority -10; policy drop;',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Whether ufw runs on the host, and how we know: `ufw status` (it looks for its chains in the kernel), or,
 * where ufw cannot be asked, its chains in `nft list ruleset` (ufw on iptables-nft). ir leaves ufw alone:
 * its own table sits next to ufw's chains, and a drop in any base chain is final, so ufw's accepts cannot
 * let traffic past the quarantine.
 */
export function detectUfw(status: { code: number | null; stdout: string }, ruleset: string): { active: boolean; evidence: string } {
  if (status.code === 0 && /^Status: active/m.test(status.stdout)) return { active: true, evidence: 'ufw status: active' };
  const chain = /^\s*chain (ufw6?-user-input) \{/m.exec(ruleset);
  if (chain) return { active: true, evidence: `ufw's chain ${chain[1]} in nft list ruleset` };
  if (status.code === 0 && /^Status: inactive/m.test(status.stdout)) return { active: false, evidence: 'ufw status: inactive' };
  return { active: false, evidence: status.code === null ? 'ufw is not installed' : 'ufw status gave no answer, no ufw chains loaded' };
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
