import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import type { PlaybookRun } from '../../src/playbook/runner.js';
import type { CaseReport } from '../../src/report/model.js';
import { Chromium } from './playbook-chromium.js';

/**
 * Issue 20: the report a responder opens first, after the hygiene and the incident playbooks on the
 * bundled example (--root, with its intended file times), laid out by headless Chromium: no horizontal
 * overflow at 1,280 and 800 px nor on an A4 page, the verdict as the first paragraph, tooltips on every
 * timeline lane, and a focus panel whose window holds every planted event. A screenshot at 1,280 px is
 * kept for a person to look at (IR_TEST_OUT, default $TMPDIR/ir-test-out).
 */
const OUT = process.env.IR_TEST_OUT ?? join(tmpdir(), 'ir-test-out');
let work: string;
let image: string;
let chrome: Chromium;

/** The example's planted events: the brute force, the login after it, sudo, useradd, the planted files. */
function plantedTimes(): [string, number][] {
  const times = new Map(
    readFileSync(join(ROOT, 'examples/compromised-host/.file-times'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(' ') as [string, string])
      .map(([t, p]) => [p, Date.parse(t)]),
  );
  const files = ['home/deploy/.ssh/authorized_keys2', 'var/spool/cron/crontabs/root', 'var/spool/cron/crontabs/deploy', 'etc/systemd/system/dbus-org.freedesktop.resolve2.service', 'etc/ld.so.preload', 'var/www/.ssh/authorized_keys'];
  return [
    ['first failed login', Date.parse('2026-11-27T02:10:20Z')],
    ['password login after the brute force', Date.parse('2026-11-27T02:30:30Z')],
    ['sudo crontab -e', Date.parse('2026-11-27T02:31:15Z')],
    ['useradd sysupdate', Date.parse('2026-11-27T02:34:15Z')],
    ...files.map((f): [string, number] => [f, times.get(f)!]),
  ];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-report-'));
  image = join(work, 'host');
  execFileSync('cp', ['-a', join(ROOT, 'examples', 'compromised-host'), image]);
  mkdirSync(OUT, { recursive: true });
  chrome = await Chromium.start();
}, 60_000);
afterAll(async () => {
  await chrome?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Layout facts of report.html at one viewport width. */
async function layout(file: string, width: number, media: 'screen' | 'print' = 'screen'): Promise<{ scroll: number; client: number; firstP: string; widest: string }> {
  await chrome.open(`file://${file}`, width, { media });
  return chrome.eval(`(() => {
    const d = document.documentElement;
    const widest = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5).map((e) => e.tagName + '.' + e.className).slice(0, 5).join(' ');
    return { scroll: d.scrollWidth, client: d.clientWidth, firstP: document.querySelector('p').textContent, widest };
  })()`);
}

for (const playbook of ['hygiene', 'incident'] as const) {
  test(`${playbook} on the example: the report fits, opens with its verdict, every lane has tooltips, the focus holds the attack`, async () => {
    const caseDir = join(work, 'cases', playbook);
    const r = await runIr(['playbook', 'run', playbook, '--root', image, '--case', caseDir, '--json'], { cwd: work, timeoutMs: 400_000 });
    const run = parseJson<PlaybookRun>(r);
    expect(r.code).toBe(1);
    // the verdict: a field of --json, the first line of report.md, the first paragraph of report.html
    expect(run.verdict).toMatchObject({ level: 'compromised', text: 'Verdict: compromised. deploy logged in with a password from 203.0.113.77 after 48 failures, and three critical persistence items were added within the hour.' });
    const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
    expect(md.split('\n')[0]).toBe(run.verdict!.text);
    const report = parseJson<{ report: CaseReport }>(await runIr(['playbook', 'report', caseDir, '--json'], { cwd: work })).report;
    expect(report.verdict).toEqual(run.verdict);
    // next steps for this image, each naming its finding
    expect(report.next[0]!.title).toBe("Lock deploy's account and end its sessions");
    expect(report.next.every((n) => n.commands.length > 0)).toBe(true);
    expect(report.next.find((n) => n.title.startsWith('Remove line 4 of /var/spool/cron/crontabs/deploy'))!.commands).toContain(`sudo sed -i -e 4d ${image}/var/spool/cron/crontabs/deploy`);
    expect(md).toContain(`ir persistence-scan --fail-on high --root ${image}`);
    if (playbook === 'incident') {
      expect(report.evidence).toHaveLength(1);
      expect(report.evidence[0]!.verify).toBe(`ir evidence verify ${report.evidence[0]!.path}`);
      expect(md).toContain(report.evidence[0]!.sha256!);
    }

    const html = join(caseDir, 'report.html');
    for (const width of [1280, 800]) {
      const l = await layout(html, width);
      expect({ width, overflow: l.scroll > l.client ? l.widest : '' }).toEqual({ width, overflow: '' });
      expect(l.firstP).toBe(run.verdict!.text);
    }
    const a4 = await layout(html, 703, 'print'); // 210 mm less 2 × 12 mm margins at 96 px/inch
    expect(a4.scroll > a4.client ? a4.widest : '').toBe('');

    await chrome.open(`file://${html}`, 1280);
    const lanes = await chrome.eval<{ svg: string; lane: string; titles: number; marks: number; marksWithTitle: number }[]>(`[...document.querySelectorAll('svg.timeline g.lane')].map((g) => ({ svg: g.ownerSVGElement.id, lane: g.dataset.lane, titles: g.querySelectorAll('title').length, marks: g.querySelectorAll('g.mark').length, marksWithTitle: [...g.querySelectorAll('g.mark')].filter((m) => m.querySelector(':scope > title')).length }))`);
    expect(lanes.map((l) => `${l.svg}/${l.lane}`)).toEqual(['timeline/logins', 'timeline/persistence', 'timeline/privilege', 'timeline/actions', 'focus/logins', 'focus/persistence', 'focus/privilege', 'focus/actions']);
    for (const l of lanes) {
      expect(l.titles).toBeGreaterThan(0);
      expect(l.marksWithTitle).toBe(l.marks);
    }
    for (const lane of ['logins', 'persistence', 'privilege']) expect(lanes.find((l) => l.svg === 'focus' && l.lane === lane)!.marks).toBeGreaterThan(0);
    const bars = await chrome.eval<number>(`[...document.querySelectorAll('#focus g.failures rect')].filter((r) => r.querySelector('title')).length`);
    expect(bars).toBeGreaterThan(10);
    // marks of one lane at the same place are one mark with a count
    expect(await chrome.eval<string[]>(`[...document.querySelectorAll('#timeline g.lane.persistence text.count')].map((t) => t.textContent)`)).toEqual([expect.stringMatching(/^×\d+$/)]);

    const focus = await chrome.eval<{ from: string; to: string }>(`(() => { const s = document.getElementById('focus'); return { from: s.dataset.from, to: s.dataset.to }; })()`);
    const [from, to] = [Date.parse(focus.from), Date.parse(focus.to)];
    for (const [what, t] of plantedTimes()) expect({ what, inside: t >= from && t <= to }).toEqual({ what, inside: true });
    expect(to - from).toBeLessThan(2 * 3_600_000); // the attack's half hour, not the eight weeks of the case

    const shot = join(OUT, `report-${playbook}-1280.png`);
    await chrome.screenshot(shot);
    expect(statSync(shot).size).toBeGreaterThan(50_000);
  }, 600_000);
}

test('a case with no findings says "no sign of compromise", renders every section, and fits', async () => {
  const caseDir = join(work, 'cases', 'quiet');
  mkdirSync(join(caseDir, 'steps'), { recursive: true });
  const meta = { kind: 'ir-case', id: 'hygiene-quiet', playbook: 'hygiene', version: 1, playbookSha256: 'x', startedAt: '2026-12-01T06:00:00.000Z', fleet: false, hosts: [{ label: 'image', groups: [], dir: '.' }], target: 'image', root: image, targetArgs: [], vars: {} };
  writeFileSync(join(caseDir, 'case.json'), JSON.stringify(meta));
  writeFileSync(join(caseDir, 'steps/01-persistence-scan.json'), JSON.stringify({ findings: [] }));
  writeFileSync(join(caseDir, 'journal.jsonl'), [{ ts: '2026-12-01T06:00:01.000Z', event: 'step-end', host: 'image', n: 1, step: 'scan', command: 'persistence-scan', status: 'ok', exitCode: 0, outputs: ['steps/01-persistence-scan.json'] }, { ts: '2026-12-01T06:00:02.000Z', event: 'host-end', host: 'image', status: 'ok', exitCode: 0 }].map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = await runIr(['playbook', 'report', caseDir], { cwd: work });
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0]).toBe('Verdict: no sign of compromise in what was checked.');
  for (const width of [1280, 800]) {
    const l = await layout(join(caseDir, 'report.html'), width);
    expect(l.scroll).toBeLessThanOrEqual(l.client);
    expect(l.firstP).toBe('Verdict: no sign of compromise in what was checked.');
  }
  const sections = await chrome.eval<string[]>(`[...document.querySelectorAll('h2')].map((h) => h.textContent)`);
  expect(sections).toEqual(['Timeline', 'What to do next', 'Findings by severity', 'What happened', 'Evidence', 'Actions taken', 'Steps']);
}, 120_000);
