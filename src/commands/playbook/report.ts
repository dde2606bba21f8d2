import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { IrCommand } from '../../output/command.js';
import type { CaseReport } from '../../report/model.js';

export default class PlaybookReport extends IrCommand {
  static override summary = 'Write report.md, report.html and findings.json of a case directory again (after a resume or an edit).';
  static override examples = ['<%= config.bin %> playbook report cases/incident-20261128T180455Z'];
  static override args = { case: Args.string({ description: 'Case directory of ir playbook run', required: true }) };
  static override flags = { 'compare-last-run': Flags.boolean({ summary: 'Mark persistence findings new/changed/unchanged against the last run of the playbook that wrote a report.' }) };

  async run(): Promise<{ files: string[]; report: CaseReport }> {
    const { args, flags } = await this.parse(PlaybookReport);
    const { writeCaseReport } = await import('../../report/write.js');
    const { files, report } = writeCaseReport(resolve(args.case), { compareLastRun: flags['compare-last-run'] });
    if (!this.jsonEnabled()) {
      const { escapeControls } = await import('../../core/escape.js');
      this.log([escapeControls(report.verdict.text), '', ...files].join('\n'));
    }
    return { files, report };
  }
}
