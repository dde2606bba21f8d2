import { X509Certificate } from 'node:crypto';
import { listOrEmpty } from '../../host/target.js';
import { broken, na, verdict, type Outcome, type SweepCheck } from '../check.js';
import { nginxConf } from '../facts/nginx.js';

export const tlsCertificateExpiry: SweepCheck = {
  id: 'IR-TLS-001',
  title: 'TLS certificates are valid for more than 14 days',
  area: 'app',
  severity: 'high',
  expected: 'notAfter more than 14 days away (Let’s Encrypt renews at 30)',
  remediation: 'certbot renew (and check that certbot.timer is enabled: systemctl status certbot.timer).',
  source: 'Setup guide §9 SSL/TLS Configuration, checklist "SSL/TLS certificates installed"',
  lynis: 'CRYP-7902',
  reads: ['/etc/letsencrypt/live/*/cert.pem', 'ssl_certificate files named in nginx', '/etc/nginx/** (nginx.conf and its includes)'],
  async run(ctx): Promise<Outcome[]> {
    const files = new Set<string>();
    for (const d of await listOrEmpty(ctx.target, '/etc/letsencrypt/live').catch(() => [])) if (d.stat.type === 'dir' || d.stat.type === 'symlink') files.add(`${d.path}/cert.pem`);
    for (const d of (await nginxConf(ctx))?.directives ?? []) if (d.name === 'ssl_certificate') files.add(d.args.replace(/^["']|["']$/g, ''));
    if (files.size === 0) return [na('no certificate under /etc/letsencrypt/live and no ssl_certificate in nginx', '/etc/letsencrypt/live')];
    const now = ctx.now().getTime();
    const out: Outcome[] = [];
    for (const f of [...files].sort()) {
      const pem = await ctx.target.readFile(f, { maxBytes: 1 << 20 }).catch(() => null);
      if (!pem) {
        out.push({ subject: f, ...na(`${f} is missing or unreadable`, f) });
        continue;
      }
      try {
        const cert = new X509Certificate(pem);
        const days = Math.floor((Date.parse(cert.validTo) - now) / 86_400_000);
        out.push({ subject: f, ...verdict(days >= ctx.knobs.certMinDays, `${cert.subject.split('\n').find((l) => l.startsWith('CN=')) ?? 'no CN'}, expires ${new Date(cert.validTo).toISOString().slice(0, 10)} (${days} days)`, f, { path: f }) });
      } catch (err) {
        out.push({ subject: f, ...broken(`${f}: not a PEM certificate (${(err as Error).message})`, f, { path: f }) });
      }
    }
    return out;
  },
};
