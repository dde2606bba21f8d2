import { createInterface } from 'node:readline';
import { UserError } from '../core/errors.js';

/**
 * The confirmation rule of a changing command: `--yes` goes on, a terminal is asked, no terminal
 * refuses (a script must say --yes, or --dry-run to see the plan).
 */
export async function confirmOrRefuse(opts: { yes?: boolean; question: string; what: string }): Promise<void> {
  if (opts.yes) return;
  if (!(process.stdin.isTTY && process.stderr.isTTY)) throw new UserError(`refusing to ${opts.what} without a terminal to confirm on`, 'add --yes, or --dry-run to see the plan');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer: string = await new Promise((resolve) => rl.question(`${opts.question} [y/N] `, resolve));
    if (!/^y(es)?$/i.test(answer.trim())) throw new UserError(`${opts.what}: not confirmed, nothing changed`);
  } finally {
    rl.close();
  }
}
