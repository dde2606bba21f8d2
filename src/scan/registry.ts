import type { Detector } from './detector.js';
import { cron } from './detectors/cron.js';

/**
 * Every detector, listed explicitly (no import side effects). docs/persistence-scan.md is generated
 * from this list (`npm run docs`), so the table of locations and ATT&CK ids cannot drift from the code.
 */
export const DETECTORS: Detector[] = [
  // foundation: the seed's four checks
  cron,
  // persistence map (issue 5): add detectors below this line
];
