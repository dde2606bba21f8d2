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
  last_run: "this host's directory in the last finished run of the same playbook (empty on the first run)",
  since_last_run: 'UTC start of that run, ISO 8601 (empty on the first run)',
} as const;

export function templateNames(value: string): string[] {
  return [...value.matchAll(TEMPLATE)].flatMap((m) => m[1]!.split('|').map((n) => n.trim()));
}

/**
 * Fills the templates of one value. A value that refers to an empty or unset variable is left out
 * (returns null), so `since: "{{since_last_run}}"` simply drops `--since` on the first run.
 */
export function fill(value: string, vars: Record<string, string | null | undefined>): string | null {
  let empty = false;
  const out = value.replace(TEMPLATE, (_, names: string) => {
    const v = names
      .split('|')
      .map((n) => vars[n.trim()])
      .find((x) => x !== undefined && x !== null && x !== '');
    if (v === undefined || v === null) empty = true;
    return v ?? '';
  });
  return empty ? null : out;
}
