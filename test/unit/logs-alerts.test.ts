import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { ALERTS } from '../../src/logs/alerts/registry.js';
import { EVENT_KINDS } from '../../src/logs/auth-event.js';
import { AUTH_REVIEW_DEFAULTS, reviewAuth } from '../../src/logs/auth-review.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { SEVERITIES } from '../../src/core/severity.js';
import { ROOT } from '../helpers/cli.js';

/** Issue 18 step 7: the seven auth alerts are declared units in one registry, with what a docs generator needs. */
describe('auth alert registry', () => {
  test('seven units, each with id, title, severity, ATT&CK id, description, thresholds with defaults and what it reads', () => {
    expect(ALERTS.map((a) => a.id)).toEqual([
      'auth.success-after-brute-force',
      'auth.root-login',
      'auth.password-login',
      'auth.brute-force',
      'auth.password-spray',
      'auth.distributed-attack',
      'auth.new-sudo-user',
    ]);
    for (const a of ALERTS) {
      expect(a.title.length).toBeGreaterThan(10);
      expect(a.description.length).toBeGreaterThan(10);
      expect(SEVERITIES).toContain(a.severity);
      expect(a.attack).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(a.reads.events.length).toBeGreaterThan(0);
      for (const e of a.reads.events) expect(EVENT_KINDS).toContain(e);
      for (const t of a.thresholds) expect(t.default).not.toBe('');
    }
  });

  test('threshold defaults are the command’s (defaults.ts), flags named as the command names them', () => {
    const all = Object.fromEntries(ALERTS.flatMap((a) => a.thresholds.map((t) => [t.flag ?? t.name, t.default])));
    expect(all).toEqual({
      '--brute-threshold': String(AUTH_REVIEW_DEFAULTS.bruteThreshold),
      '--brute-window': `${AUTH_REVIEW_DEFAULTS.bruteWindowMs / 60_000}m`,
      '--spray-users': String(AUTH_REVIEW_DEFAULTS.sprayUsers),
      '--distributed-ips': String(AUTH_REVIEW_DEFAULTS.distributedIps),
      baseline: '24h',
    });
  });

  test('every alert the report carries comes from a unit, with the unit’s severity and ATT&CK id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ir-alerts-'));
    try {
      mkdirSync(join(dir, 'etc'));
      mkdirSync(join(dir, 'var/log'), { recursive: true });
      // the compromise, and deploy failing from a second address: with --distributed-ips 2, every unit fires
      const extra = 'Nov 24 05:30:00 web-01 sshd[7000]: Failed password for deploy from 192.0.2.200 port 1 ssh2\n';
      writeFileSync(join(dir, 'var/log/auth.log'), readFileSync(join(ROOT, 'test/fixtures/authlog/compromise.log'), 'utf8') + extra);
      utimesSync(join(dir, 'var/log/auth.log'), new Date('2026-11-24T06:00:00Z'), new Date('2026-11-24T06:00:00Z'));
      const r = await reviewAuth(await ImageHost.open(dir), { files: [], journal: false, offsetMinutes: 0, ...AUTH_REVIEW_DEFAULTS, distributedIps: 2, tail: 0, policy: defaultPolicy(), workers: 0 });
      const byId = new Map(ALERTS.map((a) => [a.id, a]));
      expect(new Set(r.alerts.map((a) => a.rule)).size).toBe(7);
      for (const a of r.alerts) expect([a.rule, a.severity, a.attack]).toEqual([a.rule, byId.get(a.rule as never)!.severity, byId.get(a.rule as never)!.attack]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('docs/auth-review.md names every unit with its severity', () => {
    const doc = readFileSync(join(ROOT, 'docs/auth-review.md'), 'utf8');
    for (const a of ALERTS) expect(doc).toMatch(new RegExp(`\`${a.id.replace('.', '\\.')}\` \\| ${a.severity} `));
  });
});
