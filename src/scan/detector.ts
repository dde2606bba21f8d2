import type { Target } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import type { Finding, ScanWarning, Severity } from '../core/finding.js';

/** What a detector returns: findings plus the items it could not read, and what it examined. */
export interface DetectorResult {
  findings: Finding[];
  warnings: ScanWarning[];
  /** number of items (files, entries, processes) examined, for the summary */
  examined: number;
  /** set when the detector could not run on this target (e.g. processes offline) */
  notAvailable?: string;
}

export interface DetectorContext {
  target: Target;
  policy: Policy;
  /** `--deep`: whole-file-system walks and package integrity */
  deep: boolean;
  /** shared, lazily computed facts (accounts, package ownership) so detectors do not read twice */
  facts: import('./facts.js').Facts;
}

/** A detector is knowledge as data: id, ATT&CK ids, locations and one function. */
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

/** Helper for detectors: collects findings and warnings with the host filled in. */
export class Collector {
  readonly findings: Finding[] = [];
  readonly warnings: ScanWarning[] = [];
  examined = 0;
  constructor(
    private readonly detector: string,
    private readonly category: string,
    private readonly host: string,
  ) {}

  add(f: Omit<Finding, 'detector' | 'category' | 'host'> & { category?: string }): void {
    this.findings.push({ ...f, detector: this.detector, category: f.category ?? this.category, host: this.host });
  }

  warn(message: string, path?: string): void {
    this.warnings.push({ detector: this.detector, path, message });
  }

  result(): DetectorResult {
    return { findings: this.findings, warnings: this.warnings, examined: this.examined };
  }
}

export type { Severity };
