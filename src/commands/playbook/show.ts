import { Args, Flags } from '@oclif/core';
import { IrCommand } from '../../output/command.js';
import type { Playbook } from '../../playbook/schema.js';

export default class PlaybookShow extends IrCommand {
  static override summary = 'Print a playbook step by step: the command, its parameters, and the part of the written procedure (the hardening guide) it carries out.';
  static override examples = ['<%= config.bin %> playbook show incident', '<%= config.bin %> playbook show ./mine.yaml --json'];
  static override args = { name: Args.string({ description: 'Playbook name or path to a .yaml file', required: true }) };
  static override flags = { playbooks: Flags.string({ summary: 'Directory of your own playbooks (searched first).' }) };

  async run(): Promise<{ file: string; origin: string; playbook: Playbook }> {
    const { args, flags } = await this.parse(PlaybookShow);
    const [{ catalogFrom }, { findPlaybook }, { renderShow }] = await Promise.all([import('../../playbook/catalog.js'), import('../../playbook/load.js'), import('../../output/playbook.js')]);
    const loaded = findPlaybook(args.name, flags.playbooks, catalogFrom(this.config.commands));
    if (!this.jsonEnabled()) this.log(renderShow(loaded));
    return { file: loaded.file, origin: loaded.origin, playbook: loaded.playbook };
  }
}
