/**
 * The layers of docs/design.md, kept by CI rather than by memory: every import in src/** (static,
 * dynamic and type-only) goes down, never up or sideways into a layer that may not see it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

/** Which top-level folders of src/ each folder may import (besides itself). */
const KNOWLEDGE = ['scan', 'sweep', 'collect', 'logs', 'fail2ban', 'isolate', 'evidence', 'docker'];
const ALLOWED: Record<string, string[]> = {
  core: [],
  host: ['core'],
  ...Object.fromEntries(KNOWLEDGE.map((k) => [k, ['core', 'host', ...KNOWLEDGE]])),
  case: ['core', 'host'],
  report: ['core', 'host', 'case', ...KNOWLEDGE],
  playbook: ['core', 'host', 'case', 'report', ...KNOWLEDGE],
  output: ['core', 'host', 'case', 'report', 'playbook', ...KNOWLEDGE],
  commands: ['core', 'host', 'case', 'report', 'playbook', 'output', ...KNOWLEDGE],
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s));
}

describe('layers', () => {
  const files = walk(SRC);

  it('every file sits in a known layer', () => {
    expect(files.map(layerOf).filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it('imports only go down (core → host → knowledge → case → report → playbook → output → commands)', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = layerOf(f);
      for (const imp of importsOf(f)) {
        const to = layerOf(imp);
        if (to !== from && !ALLOWED[from]!.includes(to)) bad.push(`${relative(SRC, f)} imports ${relative(SRC, imp)} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the checker sees every kind of import', () => {
    const probe = join(SRC, 'core', '__probe__.ts');
    const text = "import type { A } from '../host/a.js';\nimport '../scan/b.js';\nconst m = await import('../output/c.js');\nexport { x } from '../report/d.js';\n";
    const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => layerOf(resolve(dirname(probe), m[1]!)));
    expect(specs).toEqual(['host', 'scan', 'output', 'report']);
  });
});
