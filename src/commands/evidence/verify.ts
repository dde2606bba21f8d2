import { basename } from 'node:path';
import { Args } from '@oclif/core';
import { IrCommand } from '../../output/command.js';
import { EXIT_FINDINGS } from '../../core/errors.js';
import { escapeControls } from '../../core/escape.js';
import type { VerifyResult } from '../../evidence/verify.js';
import { setExitCode } from '../../core/step.js';

export default class EvidenceVerify extends IrCommand {
  static override summary = 'Recompute every member hash and the archive hash of an ir evidence archive.';
  static override description = 'Exit 0 when intact, 1 when anything differs (every mismatch is named), 2 when the file is missing or not an ir archive.';
  static override examples = ['<%= config.bin %> evidence verify ir-web-1-20260101T120000Z.tar.gz', '<%= config.bin %> evidence verify case/ir-web-1-20260101T120000Z.tar.gz --json'];
  static override args = { file: Args.string({ description: 'evidence archive (.tar.gz)', required: true }) };

  async run(): Promise<VerifyResult> {
    const { args } = await this.parse(EvidenceVerify);
    const { verifyEvidence } = await import('../../evidence/verify.js');
    const res = await verifyEvidence(args.file);
    if (!this.jsonEnabled()) {
      const name = escapeControls(args.file);
      for (const w of res.warnings) this.logToStderr(`warning: ${escapeControls(w)}`);
      if (res.intact && res.expectedSha256 === null) {
        // without the recorded hash, a rebuilt archive with a fresh manifest would pass the member checks
        this.log(`${name}: members intact (${res.checked} checked against manifest.json and hashes.sha256), but the archive as a whole was NOT verified: there is no ${escapeControls(basename(args.file))}.sha256 beside it.`);
        this.log(`  Its sha256 is ${res.sha256}: compare it with the hash recorded when it was collected (the case report, the collect output).`);
      } else if (res.intact) this.log(`${name}: intact (${res.checked} members checked, archive sha256 ${res.sha256} matches its .sha256)`);
      else {
        this.log(`${name}: ${res.problems.length} problem(s)`);
        for (const p of res.problems) {
          const detail = p.expected || p.actual ? ` (expected ${p.expected ?? '-'}, got ${p.actual ?? '-'})` : '';
          this.log(`  ${escapeControls(p.path)}: ${escapeControls(p.problem)}${detail}`);
        }
      }
      if (res.notRead.length) {
        this.log(`  When it was collected, ${res.notRead.length} item(s) that exist could not be read, so the evidence is incomplete:`);
        for (const s of res.notRead.slice(0, 20)) this.log(`    ${escapeControls(s.path)}: ${escapeControls(s.reason, { max: 200 })}`);
        if (res.notRead.length > 20) this.log(`    … and ${res.notRead.length - 20} more (manifest.json, acquisition.log)`);
      }
    }
    if (!res.intact) setExitCode(EXIT_FINDINGS);
    return res;
  }
}
