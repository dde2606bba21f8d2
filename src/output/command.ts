import { Command } from '@oclif/core';
import { EXIT_ERROR, IrError, UserError } from './errors.js';
import { forTerminal } from './sanitize.js';

/**
 * Base of every ir command: `--json` prints exactly what run() returns; a fatal error is one line on
 * stderr and exit 2, never a stack trace (IR_DEBUG=1 shows it).
 *
 * Start-up: without a manifest, oclif imports every command module to learn its flags, so a command
 * module imports only this file, flag definitions and light constants; the modules that do the work
 * are loaded with `await import()` inside run() (test/unit/startup.test.ts keeps it that way).
 */
export abstract class IrCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    // this.exit() and oclif's own exits pass through
    if (err.oclif?.exit !== undefined && err.name === 'ExitError') throw err;
    const known = err instanceof IrError;
    const parseError = err.oclif !== undefined || /Nonexistent flag|Unexpected argument|Expected .* to be one of|Missing required flag|Parsing --/.test(err.message);
    let msg = known || parseError ? err.message : `unexpected error: ${err.message}`;
    if (err instanceof UserError && (err as UserError).hint) msg += ` (${(err as UserError).hint})`;
    // oclif's flag errors start with "The following errors occurred:" and name the problem on the next line
    const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
    const first = /^The following errors occurred:?$/.test(lines[0] ?? '') && lines[1] ? lines.slice(1).join('; ') : (lines[0] ?? msg);
    const line = forTerminal(first);
    if (process.env.IR_DEBUG) process.stderr.write(`${err.stack}\n`);
    if (this.jsonEnabled()) process.stdout.write(JSON.stringify({ error: { message: msg, code: EXIT_ERROR } }) + '\n');
    process.stderr.write(`ir ${(this.id ?? '').replace(/:/g, ' ')}: ${line}\n`.replace('ir : ', 'ir: '));
    process.exitCode = EXIT_ERROR;
    return undefined;
  }
}
