import { isoFromEpochSeconds } from '../../core/time.js';
import type { Target } from '../../host/target.js';
import type { Collector, DetectorContext } from '../detector.js';
import { packageOwner, resolveOwners } from '../facts-dpkg.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { commandPrograms } from './command-line.js';
import { judgeScriptFile } from './judge-file.js';
import { hiddenComponent, inHomeDir, inWorldWritableDir, raise } from './location.js';
import { parseShell } from './shell-parse.js';

/** The first bytes of a file: enough for a magic number or a shebang (no text decoding, no size limit warning). */
export async function readHead(t: Target, path: string, n = 64): Promise<Buffer | null> {
  try {
    return await t.readFile(path, { maxBytes: n });
  } catch {
    return null;
  }
}

export function isElf(head: Buffer | null): boolean {
  return Boolean(head && head.length >= 4 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF');
}

export function hasShebang(head: Buffer | null): boolean {
  return Boolean(head && head.length >= 2 && head[0] === 0x23 && head[1] === 0x21);
}

const RUNS_A_FILE = /^(sh|bash|dash|zsh|ksh|ash|python[\d.]*|perl[\d.]*|php[\d.]*|ruby[\d.]*|node|nodejs|lua[\d.]*|source|\.)$/;

/** Files a command line runs: its programs, and the script an interpreter or shell is given (`python3 /home/u/x.py`). */
export function filesRunBy(cmd: string): string[] {
  const out = new Set(commandPrograms(cmd).filter((p) => p.startsWith('/')));
  for (const p of parseShell(cmd).pipelines) {
    for (const c of p.stages.flat()) {
      const words = c.words.map((w) => w.value);
      const k = words.findIndex((w) => RUNS_A_FILE.test(w.slice(w.lastIndexOf('/') + 1)));
      if (k < 0) continue;
      const script = words.slice(k + 1).find((w) => !w.startsWith('-'));
      if (script?.startsWith('/') && !/^-[a-zA-Z]*c/.test(words[k + 1] ?? '')) out.add(script);
    }
  }
  return [...out];
}

export interface ExecTargetSpec {
  detector: string;
  attack: string;
  /** what starts it, for the reason: "the autostart entry /etc/xdg/autostart/x.desktop" */
  from: string;
  /** what the payload is, in the field's words: "autostart payload" */
  kind: string;
  /** severity of a payload no package ships, with nothing else against it */
  unownedBase: Severity;
}

/**
 * Judges by content what an Exec= line points to (a script is read with the script rules; a binary no
 * package ships is listed): the .desktop or .service file alone says little when the payload is a
 * harmless-looking path. Package-owned payloads are left to package-integrity.
 */
export async function judgeExecTargets(ctx: DetectorContext, c: Collector, cmd: string, spec: ExecTargetSpec, seen: Set<string>): Promise<void> {
  const files = filesRunBy(cmd).filter((f) => !seen.has(f));
  if (files.length === 0) return;
  for (const f of files) seen.add(f);
  await resolveOwners(ctx.facts, files);
  for (const path of files) {
    const owner = await packageOwner(ctx.facts, path);
    if (owner) continue;
    const st = await ctx.target.stat(path).catch(() => null);
    if (!st || st.type !== 'file') continue;
    const head = await readHead(ctx.target, path);
    if (!isElf(head)) {
      await judgeScriptFile(ctx, c, path, { detector: spec.detector, attack: spec.attack, kind: spec.kind, unownedBase: spec.unownedBase, runs: `started by ${spec.from}` });
      continue;
    }
    c.examined++;
    const risky = inWorldWritableDir(path) || hiddenComponent(path) || inHomeDir(path);
    const severity = risky ? raise(spec.unownedBase, 2, 'high') : spec.unownedBase;
    c.add({
      rule: `${spec.detector}.unowned-binary`,
      key: instanceKey(spec.detector, path, 'payload'),
      contentHash: contentHash(st.size, st.mtime),
      severity,
      title: `${spec.kind[0]!.toUpperCase()}${spec.kind.slice(1)} is a program no package ships: ${path}`,
      path,
      evidence: `${path} (ELF, ${st.size} bytes, mode ${st.mode.toString(8)}, uid ${st.uid})`,
      attack: spec.attack,
      reason: [`started by ${spec.from}`, owner === null ? 'not shipped by any package' : 'no package database to tell who ships it', ...(risky ? ['in a temporary, hidden or home directory'] : [])].join('; '),
      remediation: `Preserve ${path} (ir collect), find where it came from (its hash, mtime, the logs around it), then remove it and its autostart entry.`,
      mtime: isoFromEpochSeconds(st.mtime),
      details: { owner, size: st.size, mode: st.mode.toString(8), uid: st.uid },
    });
  }
}
