import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaseMeta } from '../case/case.js';
import { lastRunFindings } from './compare.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildCaseReport, type CaseReport } from './model.js';

export interface WriteReportOptions {
  formats?: ('md' | 'html')[];
  /** compare persistence findings with the last run of the same playbook (hygiene) */
  compareLastRun?: boolean;
}

/** Writes findings.json, report.md and report.html into the case directory; returns their paths. */
export function writeCaseReport(caseDir: string, o: WriteReportOptions = {}): { report: CaseReport; files: string[] } {
  const meta = readCaseMeta(caseDir);
  const report = buildCaseReport(caseDir, { compareWith: o.compareLastRun ? (label) => lastRunFindings(caseDir, meta, label) : undefined });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(caseDir, name), text, { mode: 0o600 });
    files.push(join(caseDir, name));
  };
  const formats = o.formats ?? ['md', 'html'];
  if (formats.includes('md')) put('report.md', renderMarkdown(report));
  if (formats.includes('html')) put('report.html', renderHtml(report));
  put('findings.json', JSON.stringify({ caseId: report.caseId, findings: report.findings }, null, 2) + '\n');
  return { report, files };
}
