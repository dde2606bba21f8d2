/** One INI value with where it was set, for evidence ("jail.local line 12"). */
export interface IniValue {
  value: string;
  path: string;
  line: number;
}

export type IniSections = Map<string, Map<string, IniValue>>;

export interface IniParse {
  sections: IniSections;
  /** lines that are neither a section, a key = value, a continuation nor a comment */
  errors: { path: string; line: number; message: string }[];
}

/** Python configparser as fail2ban uses it: `[section]`, `key = value` or `key: value`, indented continuation lines. */
export function parseIni(text: string, path: string, into: IniSections = new Map()): IniParse {
  const errors: IniParse['errors'] = [];
  let section: Map<string, IniValue> | null = null;
  let last: IniValue | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || /^\s*[#;]/.test(line)) return;
    if (/^\s/.test(line) && last) {
      last.value += '\n' + line.trim();
      return;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (sec) {
      const name = sec[1]!.trim();
      if (!into.has(name)) into.set(name, new Map());
      section = into.get(name)!;
      last = null;
      return;
    }
    const kv = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || !section) {
      errors.push({ path, line: i + 1, message: !section ? 'value outside any [section]' : `cannot parse "${line.trim().slice(0, 80)}"` });
      last = null;
      return;
    }
    // inline comments after " #" as fail2ban's configparser strips them
    last = { value: kv[2]!.replace(/\s+[#;].*$/, '').trim(), path, line: i + 1 };
    section.set(kv[1]!.trim().toLowerCase(), last);
  });
  return { sections: into, errors };
}

/** `%(name)s` from the section, then DEFAULT (configparser interpolation), depth-limited against loops. */
export function interpolate(sections: IniSections, section: string, value: string, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/%\(([^)]+)\)s/g, (whole, name: string) => {
    let key = name.toLowerCase();
    if (key === '__name__') return section;
    let sec = section;
    // fail2ban's `%(default/backend)s` and `%(known/x)s`: a value of DEFAULT, or the earlier one
    const slash = key.indexOf('/');
    if (slash > 0) {
      sec = key.slice(0, slash) === 'default' ? 'DEFAULT' : section;
      key = key.slice(slash + 1);
    }
    const v = sections.get(sec)?.get(key) ?? sections.get('DEFAULT')?.get(key) ?? sections.get('Init')?.get(key);
    return v ? interpolate(sections, section, v.value, depth + 1) : whole;
  });
}
