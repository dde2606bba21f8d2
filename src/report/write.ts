import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaseMeta } from '../case/case.js';
import { toJson } from '../core/escape.js';
import { lastRunFindings } from './compare.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildCaseReport, type CaseReport } from './model.js';

export interface WriteReportOptions {
  formats?: ('md' | 'html')[];
  /** compare persistence findings with the last run of the same playbook (hygiene) */
  compareLastRun?: boolean;
}

/**
 * Writes report.md, report.html and findings.json into the case directory (each as .partial, then
 * renamed: a reader never opens half a report); returns the report and the files' paths.
 */
export function writeCaseReport(caseDir: string, o: WriteReportOptions = {}): { report: CaseReport; files: string[] } {
  const meta = readCaseMeta(caseDir);
  const report = buildCaseReport(caseDir, { compareWith: o.compareLastRun ? (label) => lastRunFindings(caseDir, meta, label) : undefined });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    const path = join(caseDir, name);
    writeFileSync(`${path}.partial`, text, { mode: 0o600 });
    renameSync(`${path}.partial`, path);
    files.push(path);
  };
  const formats = o.formats ?? ['md', 'html'];
  if (formats.includes('md')) put('report.md', renderMarkdown(report));
  if (formats.includes('html')) put('report.html', renderHtml(report));
  put('findings.json', toJson({ caseId: report.caseId, verdict: report.verdict, findings: report.findings }) + '\n');
  return { report, files };
}
