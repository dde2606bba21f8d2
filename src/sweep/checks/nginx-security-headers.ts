import { na, verdict, type SweepCheck } from '../check.js';
import { nginxConf } from '../facts/nginx.js';

const HEADERS = ['Strict-Transport-Security', 'X-Frame-Options', 'X-Content-Type-Options', 'Referrer-Policy'];

export const nginxSecurityHeaders: SweepCheck = {
  id: 'IR-NGX-002',
  title: 'nginx sets the security headers',
  area: 'app',
  severity: 'medium',
  expected: `add_header ${HEADERS.join(', ')}`,
  remediation: 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always; add_header X-Frame-Options DENY always; add_header X-Content-Type-Options nosniff always; add_header Referrer-Policy strict-origin-when-cross-origin always;',
  source: 'Setup guide §6 Application Security Settings (HSTS, X-Frame-Options, nosniff), §7 Nginx, checklist "Security headers configured in Nginx"',
  reads: ['/etc/nginx/nginx.conf (+ include)', '/etc/nginx/** (nginx.conf and its includes)'],
  async run(ctx) {
    const n = await nginxConf(ctx);
    if (!n) return na('nginx is not configured here (no /etc/nginx/nginx.conf)', '/etc/nginx/nginx.conf');
    const set = new Set(n.directives.filter((d) => d.name === 'add_header').map((d) => d.args.split(/\s+/)[0]!.replace(/^["']|["']$/g, '').toLowerCase()));
    const missing = HEADERS.filter((h) => !set.has(h.toLowerCase()));
    return verdict(missing.length === 0, missing.length ? `missing: ${missing.join(', ')}` : 'all four set', n.files.join(', '));
  },
};
