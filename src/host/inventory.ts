import { readFileSync } from 'node:fs';
import { readYaml } from '../core/yaml.js';
import { UserError } from '../core/errors.js';

/**
 * One host of a fleet: its label (inventory name) and how to reach it. Read from an Ansible inventory
 * (INI or YAML) or a plain list of `[user@]host[:port]`, one per line.
 */
export interface InventoryHost {
  /** the inventory name: directory name in the case, row of the summary table */
  label: string;
  /** what `--host` takes: `[user@]address[:port]`, or the bare name for an ssh_config alias */
  spec: string;
  /** ansible_ssh_private_key_file */
  identity?: string;
  groups: string[];
}

type Vars = Record<string, string>;

interface Group {
  hosts: Map<string, Vars>;
  children: Set<string>;
  vars: Vars;
}

class Inventory {
  groups = new Map<string, Group>();
  order: string[] = [];

  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { hosts: new Map(), children: new Set(), vars: {} }));
    return g;
  }

  addHost(group: string, name: string, vars: Vars): void {
    const g = this.group(group);
    g.hosts.set(name, { ...g.hosts.get(name), ...vars });
    if (!this.order.includes(name)) this.order.push(name);
  }
}

/** `web[01:03].example.com` → web01, web02, web03 (Ansible's numeric and letter ranges). */
export function expandRange(name: string): string[] {
  const m = /^(.*)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$/.exec(name);
  if (!m) return [name];
  const [, pre, a, b, stepS, post] = m as unknown as [string, string, string, string, string | undefined, string];
  const step = Number(stepS ?? 1);
  const out: string[] = [];
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    for (let i = Number(a); i <= Number(b); i += step) out.push(`${pre}${String(i).padStart(a.length, '0')}${post}`);
  } else if (/^[a-z]$/.test(a) && /^[a-z]$/.test(b)) {
    for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c += step) out.push(`${pre}${String.fromCharCode(c)}${post}`);
  } else return [name];
  return out.flatMap(expandRange);
}

/** `key=value key2="quoted value"` after a host name or in a :vars section. */
function parseKv(s: string, where: string): Vars {
  const vars: Vars = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(s))) {
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    vars[m[1]!] = v;
    last = re.lastIndex;
  }
  if (s.slice(last).trim()) throw new UserError(`${where}: expected key=value, got ${JSON.stringify(s.slice(last).trim())}`);
  return vars;
}

function parseIni(text: string, file: string): Inventory {
  const inv = new Inventory();
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([^\]:]+)(?::(vars|children))?\]\s*$/.exec(line);
    if (head) {
      section = head[1]!;
      kind = (head[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      inv.group(section);
      return;
    }
    if (line.startsWith('[')) throw new UserError(`${where}: expected [group], [group:vars] or [group:children]`);
    const body = line.replace(/\s+#.*$/, '');
    if (kind === 'vars') Object.assign(inv.group(section).vars, parseKv(body, where));
    else if (kind === 'children') inv.group(section).children.add(body.trim());
    else {
      const [name, ...rest] = body.split(/\s+/);
      const vars = parseKv(rest.join(' '), where);
      for (const n of expandRange(name!)) inv.addHost(section, n, vars);
    }
  });
  return inv;
}

function parseYamlInventory(text: string, file: string): Inventory {
  const doc = readYaml(text, file, 'inventory').data;
  const inv = new Inventory();
  const str = (v: unknown): Vars => Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  const walk = (name: string, node: unknown): void => {
    const g = inv.group(name);
    if (node === null || node === undefined) return;
    if (typeof node !== 'object' || Array.isArray(node)) throw new UserError(`${file}: group ${name}: expected a mapping with hosts, children or vars`);
    const n = node as { hosts?: Record<string, unknown>; children?: Record<string, unknown>; vars?: Record<string, unknown> };
    for (const [h, v] of Object.entries(n.hosts ?? {})) for (const e of expandRange(h)) inv.addHost(name, e, str(v));
    Object.assign(g.vars, str(n.vars));
    for (const [c, v] of Object.entries(n.children ?? {})) {
      g.children.add(c);
      walk(c, v);
    }
  };
  if (!doc || typeof doc !== 'object') throw new UserError(`${file}: expected groups (all:, webservers:) at the top`);
  for (const [name, node] of Object.entries(doc as Record<string, unknown>)) walk(name, node);
  return inv;
}

/** Groups a host belongs to, outermost first, so that inner groups' vars win. */
function groupsOf(inv: Inventory, host: string): string[] {
  const direct = [...inv.groups].filter(([, g]) => g.hosts.has(host)).map(([n]) => n);
  const out: string[] = [];
  const visit = (name: string, depth: number): void => {
    if (depth > 20 || out.includes(name)) return;
    for (const [p, g] of inv.groups) if (g.children.has(name)) visit(p, depth + 1);
    out.push(name);
  };
  for (const d of direct) visit(d, 0);
  return ['all', ...out.filter((g) => g !== 'all')];
}

function specOf(label: string, v: Vars): string {
  const host = v.ansible_host ?? v.ansible_ssh_host ?? label;
  const user = v.ansible_user ?? v.ansible_ssh_user;
  const port = v.ansible_port ?? v.ansible_ssh_port;
  const h = host.includes(':') && port ? `[${host}]` : host;
  return `${user ? `${user}@` : ''}${h}${port ? `:${port}` : ''}`;
}

/** Reads an inventory: YAML (`all:` / groups with hosts, children, vars), INI, or one host per line. */
export function parseInventory(text: string, file = 'inventory'): InventoryHost[] {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() && !l.trim().startsWith('#')) ?? '';
  const yaml = /\.ya?ml$/.test(file) || /^[^\s[=]+:\s*(#.*)?$/.test(firstLine) || firstLine.trim() === '---';
  const inv = yaml ? parseYamlInventory(text, file) : parseIni(text, file);
  return inv.order.map((label) => {
    const groups = groupsOf(inv, label);
    const vars: Vars = {};
    for (const g of groups) Object.assign(vars, inv.groups.get(g)?.vars);
    for (const g of groups) Object.assign(vars, inv.groups.get(g)?.hosts.get(label));
    const identity = vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file;
    return { label, spec: specOf(label, vars), ...(identity ? { identity } : {}), groups: groups.filter((g) => g !== 'all') };
  });
}

export function readInventory(file: string): InventoryHost[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--hosts ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseInventory(text, file);
}

/** `--limit web,db1`: hosts in any of the named groups, or named themselves. */
export function limitHosts(hosts: InventoryHost[], limit: string | undefined): InventoryHost[] {
  if (!limit) return hosts;
  const names = limit.split(',').map((s) => s.trim()).filter(Boolean);
  const out = hosts.filter((h) => names.includes(h.label) || h.groups.some((g) => names.includes(g)) || names.includes('all'));
  if (out.length === 0) throw new UserError(`--limit ${limit}: no host or group of the inventory matches`);
  return out;
}
