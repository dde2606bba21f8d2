#!/usr/bin/env node
// The one docs generator: renders the tables of docs/ from the registries (after `npm run build`), so
// what the docs say a unit reads, judges or collects cannot drift from the code. Each table sits
// between `<!-- generated: NAME … -->` and `<!-- end generated: NAME -->` in its doc.
//   node scripts/gen-docs.mjs          write the tables (npm run docs)
//   node scripts/gen-docs.mjs --check  exit 1 naming every stale doc (test/unit/docs.test.ts, in CI)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url);
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s) => `\`${String(s).replace(/`/g, "'")}\``;

/** One generated table: which doc, which registry, how a row looks. */
const SECTIONS = [
  {
    name: 'detectors',
    doc: 'docs/persistence-scan.md',
    from: 'src/scan/registry.ts',
    async render() {
      const { DETECTORS } = await import(dist('scan/registry.js'));
      return [
        '| detector | what it judges | ATT&CK | locations | where |',
        '|---|---|---|---|---|',
        ...DETECTORS.map((d) => `| \`${d.id}\` | ${cell(d.title)} | ${d.attack.join(', ')} | ${d.locations.map(code).join('<br>')} | ${d.liveOnly ? 'live only' : d.deepOnly ? '`--deep`' : 'live, ssh, offline'} |`),
      ];
    },
  },
  {
    name: 'checks',
    doc: 'docs/sweep.md',
    from: 'src/sweep/registry.ts',
    async render() {
      const [{ CHECKS }, { defaultPolicy }] = await Promise.all([import(dist('sweep/registry.js')), import(dist('core/policy.js'))]);
      const policy = defaultPolicy();
      return [
        '| id | area | severity | check | expected | source | peer id | reads |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        ...CHECKS.map((c) => {
          const expected = typeof c.expected === 'function' ? c.expected(policy) : c.expected;
          const peer = [c.lynis ? `Lynis ${c.lynis}` : '', c.cis ? `CIS Docker ${c.cis}` : ''].filter(Boolean).join(', ') || '—';
          return `| ${c.id} | ${c.area} | ${c.severity} | ${cell(c.title)}${c.liveOnly ? ' (live only)' : ''} | ${cell(expected)} | ${cell(c.source)} | ${peer} | ${cell(c.reads.join('; '))} |`;
        }),
      ];
    },
  },
  {
    name: 'collection items',
    doc: 'docs/collect.md',
    from: 'src/collect/registry.ts and profiles/*.yaml',
    async render() {
      const [{ ITEMS }, { loadProfile, profileNames }] = await Promise.all([import(dist('collect/registry.js')), import(dist('collect/profiles.js'))]);
      const profiles = await Promise.all((await profileNames()).map((n) => loadProfile(n)));
      const reads = (i) =>
        i.kind === 'command' ? `${code(i.argv.join(' '))} → live/${i.out}` : i.kind === 'home' ? i.relPaths.map((p) => `~/${p}`).join(', ') : i.paths.join(', ');
      return [
        '| id | profiles | what | reads |',
        '| --- | --- | --- | --- |',
        ...ITEMS.map((i) => `| ${i.id} | ${profiles.filter((p) => p.items.some((x) => x.id === i.id)).map((p) => p.name).join(', ') || '—'} | ${cell(i.title)} | ${cell(reads(i))} |`),
      ];
    },
  },
  {
    name: 'alerts',
    doc: 'docs/auth-review.md',
    from: 'src/logs/alerts/registry.ts',
    async render() {
      const { ALERTS } = await import(dist('logs/alerts/registry.js'));
      const th = (a) => a.thresholds.map((t) => `${t.flag ? code(t.flag) : t.name} ${t.default}`).join(', ') || '—';
      return [
        '| rule | severity | ATT&CK | when | thresholds (defaults) | reads |',
        '| --- | --- | --- | --- | --- | --- |',
        ...ALERTS.map((a) => `| \`${a.id}\` | ${a.severity} | ${a.attack} | ${cell(a.description)} | ${cell(th(a))} | ${cell([...a.reads.events, ...(a.reads.policy ?? []).map((k) => `policy ${k}`)].join(', '))} |`),
      ];
    },
  },
];

const check = process.argv.includes('--check');
const stale = [];
for (const s of SECTIONS) {
  const file = new URL(`../${s.doc}`, import.meta.url);
  const begin = `<!-- generated: ${s.name} (npm run docs, from ${s.from}) -->`;
  const end = `<!-- end generated: ${s.name} -->`;
  const rows = await s.render();
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error(`${s.doc}: no "${begin}" … "${end}" markers`);
    process.exit(1);
  }
  const next = text.slice(0, a) + [begin, ...rows, end].join('\n') + text.slice(b + end.length);
  if (next === text) continue;
  if (check) stale.push(`${s.doc} (${s.name})`);
  else writeFileSync(file, next);
}
if (stale.length) {
  console.error(`stale generated docs: ${stale.join(', ')}: run npm run docs`);
  process.exit(1);
}
