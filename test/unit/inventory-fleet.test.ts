import { forEachHost, fleetHosts, runOnFleet } from '../../src/host/fleet.js';
import type { InventoryHost } from '../../src/host/inventory.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const hosts = (n: number): InventoryHost[] => Array.from({ length: n }, (_, i) => ({ label: `h${i}`, spec: `192.0.2.${i + 1}`, groups: [] }));

describe('forEachHost', () => {
  test('at most N at once, results in input order, a throwing host recorded and the others finished', async () => {
    let running = 0;
    let peak = 0;
    const out = await forEachHost(hosts(7), 3, async (h, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30 + (7 - i) * 5));
      running--;
      if (h.label === 'h2') throw new Error('host key changed');
      return h.label.toUpperCase();
    });
    expect(peak).toBe(3);
    expect(out.map((o) => (o.ok ? o.value : `error: ${o.error.message}`))).toEqual(['H0', 'H1', 'error: host key changed', 'H3', 'H4', 'H5', 'H6']);
  });

  test('waiting hosts overlap: 8 hosts of 100 ms each take about 100 ms with concurrency 8', async () => {
    const t0 = performance.now();
    await forEachHost(hosts(8), 8, () => new Promise((r) => setTimeout(r, 100)));
    expect(performance.now() - t0).toBeLessThan(400);
  });
});

describe('fleet flags', () => {
  test('--host repeated and --hosts with --limit; a name given twice is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ir-inv-'));
    try {
      const inv = join(dir, 'hosts');
      writeFileSync(inv, '[web]\nweb1 ansible_host=192.0.2.10\n[db]\ndb1 ansible_host=192.0.2.20 ansible_user=dba\n');
      expect(fleetHosts({ host: ['deploy@192.0.2.5'], hosts: inv, limit: 'db' }).map((h) => [h.label, h.spec])).toEqual([
        ['deploy@192.0.2.5', 'deploy@192.0.2.5'],
        ['db1', 'dba@192.0.2.20'],
      ]);
      expect(() => fleetHosts({ host: ['web1'], hosts: inv })).toThrow(/web1 is named twice/);
      expect(() => fleetHosts({ host: ['-oProxyCommand=x'] })).toThrow(/expected \[user@\]name\[:port\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runOnFleet: an unreachable host is a row with exit 2, never an exception', async () => {
    const { rows, exitCode } = await runOnFleet({ host: ['deploy@127.0.0.1:1'], 'connect-timeout': 2 }, async () => 'never', () => 0);
    expect(exitCode).toBe(2);
    expect(rows[0]).toMatchObject({ host: 'deploy@127.0.0.1:1', status: 'error', exitCode: 2 });
    expect(rows[0]!.error).toMatch(/refused|ECONNREFUSED|connect/i);
  });
});
