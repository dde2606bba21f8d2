/**
 * The one reader of systemd unit files (systemd.unit(5)) for the scan and the sweep: `[Section]`,
 * `Key=Value`, `#`/`;` comments, backslash continuation. A streamed file is fed one physical line at a
 * time; `keep` limits what is held to the keys the caller uses, and a logical line is clipped at
 * `maxLine`, so a padded unit never fills memory.
 */
import { clip } from '../../core/escape.js';

export interface UnitFile {
  sections: Map<string, [string, string, number][]>;
}

/**
 * systemd's INI dialect: `[Section]`, `Key=Value`, `#`/`;` comments, backslash continuation. Fed one
 * physical line at a time (a streamed file); `keep` limits what is held to the keys the caller uses.
 */
export class UnitParser {
  readonly unit: UnitFile = { sections: new Map() };
  private cur: [string, string, number][] | undefined;
  private buf: string | undefined;
  private start = 0;
  private held = 0;
  constructor(
    private readonly keep: (key: string) => boolean = () => true,
    private readonly max = 5000,
    private readonly maxLine = 64 * 1024,
  ) {}

  push(raw: string, n: number): void {
    const t = raw.trim();
    if (this.buf === undefined) {
      this.buf = t;
      this.start = n;
    } else this.buf = clip(this.buf.slice(0, -1).trimEnd() + ' ' + t, this.maxLine);
    if (this.buf.endsWith('\\')) return;
    this.flush();
  }

  end(): UnitFile {
    if (this.buf !== undefined) this.flush();
    return this.unit;
  }

  private flush(): void {
    const line = this.buf!;
    this.buf = undefined;
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      this.cur = this.unit.sections.get(sec[1]!) ?? [];
      this.unit.sections.set(sec[1]!, this.cur);
      return;
    }
    const kv = /^([A-Za-z0-9]+)\s*=\s*(.*)$/.exec(line);
    if (kv && this.cur && this.keep(kv[1]!) && this.held++ < this.max) this.cur.push([kv[1]!, kv[2]!, this.start]);
  }
}

export function parseUnit(text: string): UnitFile {
  const p = new UnitParser();
  text.split('\n').forEach((raw, i) => p.push(raw, i + 1));
  return p.end();
}


/** `Section.Key` → every value in order, white space folded: the form the sweep's checks ask by name. */
export function unitKeys(u: UnitFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [section, entries] of u.sections) {
    for (const [k, v] of entries) {
      const key = `${section}.${k}`;
      out.set(key, [...(out.get(key) ?? []), v.replace(/\s+/g, ' ').trim()]);
    }
  }
  return out;
}
