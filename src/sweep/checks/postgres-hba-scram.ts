import { broken, na, verdict, type Outcome, type SweepCheck } from '../check.js';
import { pgClusters } from '../facts/postgres.js';

const WEAK = new Set(['trust', 'md5', 'password', 'ident']);
const METHODS = new Set(['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'sspi', 'ident', 'peer', 'ldap', 'radius', 'cert', 'pam', 'bsd']);

export const postgresHbaScram: SweepCheck = {
  id: 'IR-PG-002',
  title: 'pg_hba.conf uses scram-sha-256 (no trust, no md5)',
  area: 'app',
  severity: 'high',
  expected: 'host lines scram-sha-256 (or cert); local lines peer or scram-sha-256; no trust, md5, password',
  remediation: 'Replace trust/md5 with scram-sha-256 in pg_hba.conf, set password_encryption = scram-sha-256, re-set the passwords, reload.',
  source: 'Setup guide §3 Secure PostgreSQL Configuration',
  lynis: 'DBS-1828',
  reads: ['/etc/postgresql/*/*/pg_hba.conf'],
  async run(ctx): Promise<Outcome[]> {
    const clusters = await pgClusters(ctx);
    if (clusters.length === 0) return [na('no PostgreSQL cluster under /etc/postgresql', '/etc/postgresql')];
    const out: Outcome[] = [];
    for (const c of clusters) {
      const text = await ctx.read(c.hba).catch(() => null);
      if (text === null) {
        out.push({ subject: c.dir, ...na(`${c.hba} is missing`, c.hba) });
        continue;
      }
      const bad: string[] = [];
      let problem: Outcome | null = null;
      text.split('\n').forEach((raw, i) => {
        const line = raw.replace(/#.*$/, '').trim();
        if (!line || problem || /^include/.test(line)) return;
        const f = line.split(/\s+/);
        // host DATABASE USER ADDRESS METHOD, or host DATABASE USER IP-ADDRESS IP-MASK METHOD
        const method = f[0] === 'local' ? f[3] : /^host/.test(f[0]!) ? (f[4] && !METHODS.has(f[4]) && /^[\d.:a-f]+$/i.test(f[4]) ? f[5] : f[4]) : undefined;
        if (!method || !METHODS.has(method)) {
          problem = broken(`${c.hba} line ${i + 1}: cannot parse "${line.slice(0, 80)}"`, c.hba, { path: c.hba, line: i + 1 });
          return;
        }
        if (WEAK.has(method)) bad.push(`line ${i + 1}: ${f.join(' ')}`);
      });
      out.push({ subject: c.dir, ...(problem ?? verdict(bad.length === 0, bad.length ? bad.join('; ') : 'scram-sha-256 / peer only', c.hba, { path: c.hba })) });
    }
    return out;
  },
};
