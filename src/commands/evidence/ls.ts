import { Args } from '@oclif/core';
import { IrCommand } from '../../output/command.js';
import { escapeControls } from '../../core/escape.js';
import type { LsEntry } from '../../evidence/verify.js';

function modeString(type: LsEntry['type'], mode: number): string {
  const t = type === 'symlink' ? 'l' : type === 'dir' ? 'd' : type === 'other' ? '?' : '-';
  const bits = 'rwxrwxrwx';
  return t + [...bits].map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
}

export default class EvidenceLs extends IrCommand {
  static override summary = 'List the entries of an ir evidence archive.';
  static override examples = ['<%= config.bin %> evidence ls ir-web-1-20260101T120000Z.tar.gz'];
  static override args = { file: Args.string({ description: 'evidence archive (.tar.gz)', required: true }) };

  async run(): Promise<{ file: string; entries: LsEntry[] }> {
    const { args } = await this.parse(EvidenceLs);
    const { listEvidence } = await import('../../evidence/verify.js');
    const entries = await listEvidence(args.file);
    if (!this.jsonEnabled()) {
      for (const e of entries) {
        const link = e.linkTarget !== undefined ? ` -> ${escapeControls(e.linkTarget)}` : '';
        this.log(`${modeString(e.type, e.mode)} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${String(e.size).padStart(12)} ${e.mtime.slice(0, 19)}Z ${escapeControls(e.path)}${link}`);
      }
    }
    return { file: args.file, entries };
  }
}
