import { broken, na, verdict, type Outcome, type SweepCheck } from '../check.js';
import { pgClusters, pgSettings } from '../facts/postgres.js';

const LOCAL = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

export const postgresListenLocal: SweepCheck = {
  id: 'IR-PG-001',
  title: 'PostgreSQL listens on localhost only',
  area: 'app',
  severity: 'high',
  expected: "listen_addresses = 'localhost' (or 127.0.0.1, ::1, '')",
  remediation: "listen_addresses = 'localhost' in postgresql.conf, then systemctl restart postgresql.",
  source: 'Setup guide §3 Secure PostgreSQL Configuration, checklist "PostgreSQL configured to listen on localhost only"',
  lynis: 'DBS-1828',
  reads: ['/etc/postgresql/*/*/postgresql.conf (+ include_dir)', '/etc/postgresql/*/*/conf.d/*'],
  async run(ctx): Promise<Outcome[]> {
    const clusters = await pgClusters(ctx);
    if (clusters.length === 0) return [na('no PostgreSQL cluster under /etc/postgresql', '/etc/postgresql')];
    const out: Outcome[] = [];
    for (const c of clusters) {
      const { values, errors } = await pgSettings(ctx, c.conf);
      if (errors[0]) {
        out.push({ subject: c.dir, ...broken(`${errors[0].path} line ${errors[0].line}: ${errors[0].message}`, errors[0].path, { path: errors[0].path, line: errors[0].line }) });
        continue;
      }
      const v = values.get('listen_addresses');
      const addrs = (v?.value ?? 'localhost').split(',').map((s) => s.trim());
      const ok = addrs.every((a) => a === '' || LOCAL.test(a));
      out.push({ subject: c.dir, ...verdict(ok, `listen_addresses = '${v?.value ?? 'localhost'}'${v ? '' : ' (default)'}`, v ? `${v.path} line ${v.line}` : c.conf, v ? { path: v.path, line: v.line } : {}) });
    }
    return out;
  },
};
