import { Command } from '@oclif/core';
import { EXIT_ERROR, IrError, UserError } from '../core/errors.js';
import { escapeControls, toJson } from '../core/escape.js';
import { setExitCode, writeErr, writeOut } from '../core/step.js';

/**
 * Base of every ir command: `--json` prints exactly what run() returns; a fatal error is one line on
 * stderr and exit 2, never a stack trace (IR_DEBUG=1 shows it).
 *
 * Start-up: without a manifest, oclif imports every command module to learn its flags, so a command
 * module imports only this file, flag definitions and light constants; the modules that do the work
 * are loaded with `await import()` inside run() (test/integration/startup.test.ts keeps it that way).
 */
export abstract class IrCommand extends Command {
  static override enableJsonFlag = true;

  /** --json: raw values, JSON-escaped, C1 and bidi controls as \uNNNN (core/escape.ts toJson) */
  override logJson(json: unknown): void {
    writeOut(toJson(json) + '\n');
  }

  protected override async catch(err: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    // this.exit() and oclif's own exits pass through
    if (err.oclif?.exit !== undefined && err.name === 'ExitError') throw err;
    // a flag error stops parse() half-way; oclif would then add a second line ("did not parse its
    // arguments") whenever NODE_ENV is development or test
    this.parsed = true;
    const known = err instanceof IrError;
    const parseError = err.oclif !== undefined || /Nonexistent flag|Unexpected argument|Expected .* to be one of|Missing required flag|Parsing --/.test(err.message);
    let msg = known || parseError ? err.message : `unexpected error: ${err.message}`;
    if (err instanceof UserError && (err as UserError).hint) msg += ` (${(err as UserError).hint})`;
    // oclif's flag errors start with "The following error(s) occurred:", name the problem on the next
    // lines ("Parsing --x" then "Expected an integer…") and end with "See more help with --help"
    const lines = msg.split('\n').map((l) => l.trim()).filter((l) => l && !/^The following errors? occurred:?$/.test(l) && !/^See more help with/.test(l));
    // "Missing 1 required arg:" + "name  Playbook name…" → "Missing 1 required arg: name (Playbook name…)"
    const joined = lines.map((l) => l.replace(/^(\S+)\s{2,}(\S.*)$/, '$1 ($2)')).reduce((acc, l) => (acc ? `${acc}${acc.endsWith(':') ? ' ' : ': '}${l}` : l), '');
    const first = (parseError ? joined : lines[0]) || msg.trim() || err.name;
    const line = escapeControls(first);
    if (process.env.IR_DEBUG) writeErr(`${err.stack}\n`);
    if (this.jsonEnabled()) writeOut(toJson({ error: { message: msg, code: EXIT_ERROR } }, undefined) + '\n');
    writeErr(`ir ${(this.id ?? '').replace(/:/g, ' ')}: ${line}\n`.replace('ir : ', 'ir: '));
    setExitCode(EXIT_ERROR);
    return undefined;
  }
}
