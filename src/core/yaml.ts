import { LineCounter, parseDocument, type Document } from 'yaml';
import { UserError } from './errors.js';

/** A YAML file ir reads (policy, inventory, collection profile, playbook), with where each value is. */
export interface YamlFile {
  doc: Document;
  data: unknown;
  /** 1-based line of the node at `path`, where the document has it */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * The one YAML reader: syntax errors, duplicate keys and alias bombs ("billion laughs") become one
 * UserError naming the file and line, never "unexpected error". `what` names the kind of file in the
 * message ("policy", "inventory").
 */
export function readYaml(text: string, file: string, what: string): YamlFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UserError(`${what} ${file}:${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    // yaml's default maxAliasCount (100) stops an alias bomb before it grows; say what it is
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const msg = (err as Error).message;
    throw new UserError(`${what} ${file}: ${/alias/i.test(msg) ? `too many YAML aliases (${msg.split('\n')[0]}): a file that expands this much is refused` : msg.split('\n')[0]}`);
  }
  return {
    doc,
    data,
    lineOf(path) {
      const node = doc.getIn(path as (string | number)[], true) as { range?: [number, number] } | undefined;
      return node?.range ? lc.linePos(node.range[0]).line : undefined;
    },
  };
}
