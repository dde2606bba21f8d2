import { Flags } from '@oclif/core';
import { IrCommand } from '../../output/command.js';
import type { PlaybookEntry } from '../../playbook/load.js';
import { readFileSync } from 'node:fs';

export default class PlaybookList extends IrCommand {
  static override summary = 'List the playbooks: --playbooks DIR, then ~/.config/ir/playbooks, then the bundled ones.';
  static override examples = ['<%= config.bin %> playbook list', '<%= config.bin %> playbook list --playbooks ./team-playbooks --json'];
  static override flags = {
    playbooks: Flags.string({ summary: 'Directory of your own playbooks (searched first).' }),
  };

  async run(): Promise<{ playbooks: (PlaybookEntry & { description?: string; version?: number; valid: boolean })[] }> {
    const { flags } = await this.parse(PlaybookList);
    const [{ checkPlaybook, listPlaybooks }, { renderList }] = await Promise.all([import('../../playbook/load.js'), import('../../output/playbook.js')]);
    const entries = listPlaybooks(flags.playbooks).map((e) => {
      const { playbook, issues } = checkPlaybook(readFileSync(e.file, 'utf8'), e.file);
      return { ...e, ...(playbook ? { description: playbook.description.trim().split('\n')[0], version: playbook.version } : {}), valid: issues.length === 0 };
    });
    if (!this.jsonEnabled()) this.log(renderList(entries, new Map(entries.map((e) => [e.file, e.valid ? (e.description ?? '') : 'INVALID: ir playbook validate ' + e.file]))));
    return { playbooks: entries };
  }
}
