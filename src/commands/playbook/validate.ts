import { Args } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { IrCommand } from '../../output/command.js';
import { EXIT_FINDINGS, UserError } from '../../core/errors.js';
import type { PlaybookIssue } from '../../playbook/load.js';
import { setExitCode } from '../../core/step.js';

export default class PlaybookValidate extends IrCommand {
  static override summary = 'Check a playbook file: YAML, schema, and every step against its command\'s flags.';
  static override description = 'Each problem is printed as FILE:LINE:COL: path: what was expected. Exit 0 valid, 1 problems found, 2 unreadable.';
  static override examples = ['<%= config.bin %> playbook validate playbooks/incident.yaml', '<%= config.bin %> playbook validate ~/.config/ir/playbooks/nightly.yaml --json'];
  static override args = { file: Args.string({ description: 'Playbook file', required: true }) };

  async run(): Promise<{ file: string; valid: boolean; issues: PlaybookIssue[] }> {
    const { args } = await this.parse(PlaybookValidate);
    const [{ catalogFrom }, { checkPlaybook }, { renderIssues }] = await Promise.all([import('../../playbook/catalog.js'), import('../../playbook/load.js'), import('../../output/playbook.js')]);
    let text: string;
    try {
      text = readFileSync(args.file, 'utf8');
    } catch (err) {
      throw new UserError(`${args.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    const { issues } = checkPlaybook(text, args.file, catalogFrom(this.config.commands));
    if (!this.jsonEnabled()) {
      this.log(issues.length ? renderIssues(issues) : `${args.file}: valid`);
    }
    if (issues.length) setExitCode(EXIT_FINDINGS);
    return { file: args.file, valid: issues.length === 0, issues };
  }
}
