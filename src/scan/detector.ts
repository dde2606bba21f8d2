import type { Target } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import type { Finding, ScanWarning, Severity } from '../core/finding.js';

/** An item read only in part or not at all (too large, unreadable, not a regular file): counted at the top of the output. */
export interface Unread {
  detector: string;
  path?: string;
  reason: string;
}

/** What a detector returns: findings plus the items it could not read, and what it examined. */
export interface DetectorResult {
  findings: Finding[];
  warnings: ScanWarning[];
  /** number of items (files, entries, processes) examined, for the summary */
  examined: number;
  /** set when the detector could not run on this target (e.g. processes offline) */
  notAvailable?: string;
  /**
   * input that exists but could not be evaluated (unreadable, unparsable): the scan is incomplete, the
   * verdict says so and the exit code is 2. A missing location or a vanished /proc/PID is not one.
   */
  errors?: ScanWarning[];
  /** items read only in part or not at all */
  unread?: Unread[];
}

export interface DetectorContext {
  target: Target;
  policy: Policy;
  /** `--deep`: whole-file-system walks and package integrity */
  deep: boolean;
  /** shared, lazily computed facts (accounts, package ownership) so detectors do not read twice */
  facts: import('./facts.js').Facts;
}

/** A detector is knowledge as data: id, title, ATT&CK ids, locations and one function. */
export interface Detector {
  id: string;
  title: string;
  category: string;
  /** ATT&CK technique ids this detector reports */
  attack: string[];
  /** paths (globs as documentation) it reads; rendered into docs/persistence-scan.md */
  locations: string[];
  /** live-only detectors (processes, sockets) say "not available offline" on --root */
  liveOnly?: boolean;
  /** only with --deep */
  deepOnly?: boolean;
  run(ctx: DetectorContext): Promise<DetectorResult>;
}

/** Findings kept per file: a file padded with a million bad lines is one file, not a million findings. */
export const MAX_FINDINGS_PER_PATH = 200;

/** A message that starts with the path it is about (`/x: permission denied`) is shown once, not twice. */
export function withoutPath(message: string, path?: string): string {
  return path && message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

/** Helper for detectors: collects findings and warnings with the host filled in. */
export class Collector {
  readonly findings: Finding[] = [];
  readonly warnings: ScanWarning[] = [];
  readonly errors: ScanWarning[] = [];
  readonly unreadItems: Unread[] = [];
  examined = 0;
  private readonly perPath = new Map<string, number>();
  constructor(
    readonly detector: string,
    private readonly category: string,
    private readonly host: string,
  ) {}

  add(f: Omit<Finding, 'detector' | 'category' | 'host'> & { category?: string }): void {
    if (f.path !== undefined) {
      // critical findings have their own, larger allowance: none is dropped for inventory's sake
      const k = f.severity === 'critical' ? `critical\0${f.path}` : f.path;
      const n = (this.perPath.get(k) ?? 0) + 1;
      this.perPath.set(k, n);
      if (n > (f.severity === 'critical' ? MAX_FINDINGS_PER_PATH * 5 : MAX_FINDINGS_PER_PATH)) return;
    }
    this.findings.push({ ...f, detector: this.detector, category: f.category ?? this.category, host: this.host });
  }

  warn(message: string, path?: string): void {
    this.warnings.push({ detector: this.detector, ...(path !== undefined ? { path } : {}), message: withoutPath(message, path) });
  }

  /** Input that exists but could not be evaluated: a warning, and an error that makes the verdict incomplete (exit 2). */
  error(message: string, path?: string): void {
    this.warn(message, path);
    this.errors.push(this.warnings.at(-1)!);
    this.unread(path, withoutPath(message, path));
  }

  /** An item read only in part or not at all, counted at the top of the output. */
  unread(path: string | undefined, reason: string): void {
    this.unreadItems.push({ detector: this.detector, ...(path !== undefined ? { path } : {}), reason });
  }

  result(): DetectorResult {
    for (const [k, n] of this.perPath) {
      const critical = k.startsWith('critical\0');
      const max = critical ? MAX_FINDINGS_PER_PATH * 5 : MAX_FINDINGS_PER_PATH;
      if (n > max) this.warn(`${n - max} more ${critical ? 'critical' : 'non-critical'} findings not listed (the first ${max} are)`, critical ? k.slice(9) : k);
    }
    return { findings: this.findings, warnings: this.warnings, examined: this.examined, errors: this.errors, unread: this.unreadItems };
  }
}

export type { Severity };
