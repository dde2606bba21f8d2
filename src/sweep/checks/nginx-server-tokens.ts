import { na, verdict, type SweepCheck } from '../check.js';
import { nginxConf } from '../facts/nginx.js';

export const nginxServerTokens: SweepCheck = {
  id: 'IR-NGX-001',
  title: 'nginx hides its version (server_tokens off)',
  area: 'app',
  severity: 'low',
  expected: 'server_tokens off; in the http block',
  remediation: 'server_tokens off; in /etc/nginx/nginx.conf (http {}), then nginx -t && systemctl reload nginx.',
  source: 'Setup guide §7 Set Up Reverse Proxy with Nginx, checklist "Security headers configured in Nginx"',
  lynis: 'HTTP-6708',
  reads: ['/etc/nginx/nginx.conf (+ include)', '/etc/nginx/** (nginx.conf and its includes)'],
  async run(ctx) {
    const n = await nginxConf(ctx);
    if (!n) return na('nginx is not configured here (no /etc/nginx/nginx.conf)', '/etc/nginx/nginx.conf');
    const d = n.directives.filter((x) => x.name === 'server_tokens').pop();
    return verdict(d?.args === 'off', d ? `server_tokens ${d.args}` : 'server_tokens unset (on)', d ? `${d.path} line ${d.line}` : n.files[0]!, d ? { path: d.path, line: d.line } : {});
  },
};
