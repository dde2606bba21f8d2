/**
 * `{{name}}` in a step parameter; names are the built-ins below and the playbook's `vars`.
 * `{{a|b}}` is the first of them that is set and not empty (`{{accepted|last_run}}`).
 */
export const TEMPLATE = /\{\{\s*([a-z_][a-z0-9_]*(?:\s*\|\s*[a-z_][a-z0-9_]*)*)\s*\}\}/g;

export const BUILTIN_VARS = {
  case: "this host's directory in the case (the case directory itself for one host)",
  case_id: 'the case id, e.g. incident-20260301T101500Z',
  host: 'the host label (inventory name, --host value, or "local")',
  playbook: "the playbook's name",
  last_run:
    "this host's directory in the last run of the same playbook that finished on it; followed by /FILE ({{last_run}}/sweep-baseline.json), the last run that wrote FILE (empty on the first run)",
  since_last_run: 'UTC start (ISO 8601) of the last run in which every step using it completed, ok or findings (empty on the first run)',
} as const;

/**
 * A variable's value: a string, unset (null), or a lookup that depends on the file named after the
 * template (`{{last_run}}/sweep-baseline.json` asks for the last run that wrote sweep-baseline.json;
 * the lookup gets '' when nothing follows).
 */
export type TemplateValue = string | null | undefined | ((file: string) => string | null);
export type TemplateVars = Record<string, TemplateValue>;

export function templateNames(value: string): string[] {
  return [...value.matchAll(TEMPLATE)].flatMap((m) => m[1]!.split('|').map((n) => n.trim()));
}

/**
 * Fills the templates of one value and says which variables gave their text. A value that refers to an
 * empty or unset variable is left out (value null), so `since: "{{since_last_run}}"` simply drops
 * `--since` on the first run.
 */
export function fillTemplate(value: string, vars: TemplateVars): { value: string | null; used: string[] } {
  let empty = false;
  const used: string[] = [];
  const out = value.replace(TEMPLATE, (match: string, names: string, offset: number) => {
    const after = value.slice(offset + match.length);
    const file = after.startsWith('/') ? after.slice(1) : '';
    for (const n of names.split('|').map((x) => x.trim())) {
      const v = vars[n];
      const s = typeof v === 'function' ? v(file) : v;
      if (s !== undefined && s !== null && s !== '') {
        used.push(n);
        return s;
      }
    }
    empty = true;
    return '';
  });
  return { value: empty ? null : out, used };
}

export function fill(value: string, vars: TemplateVars): string | null {
  return fillTemplate(value, vars).value;
}
