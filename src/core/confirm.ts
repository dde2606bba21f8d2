import { createInterface } from 'node:readline';
import { UserError } from './errors.js';

/** True when a person can answer: stdin and stderr are terminals. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Asks on the terminal; only `y` or `yes` goes on. */
export async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer: string = await new Promise((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The confirmation rule of every changing command (isolate, restore, ban, unban, playbook run): `--yes`
 * goes on, a TTY is asked, no TTY refuses (a script must say --yes, or --dry-run to see the plan). Each
 * question in `questions` is asked in turn (--no-snapshot asks twice). Says how it was confirmed, for
 * the journal. `refusal` replaces the no-terminal message.
 */
export async function confirmOrRefuse(opts: { yes?: boolean; questions: string[]; what: string; refusal?: string }): Promise<string> {
  if (opts.yes) return 'with --yes, not asked';
  if (!interactive()) throw new UserError(opts.refusal ?? `refusing to ${opts.what} without a terminal to confirm on`, 'add --yes, or --dry-run to see the plan');
  for (const q of opts.questions) {
    if (!(await ask(q))) throw new UserError(`${opts.what}: not confirmed, nothing changed`);
  }
  return opts.questions.length === 1 ? 'confirmed on the terminal' : `confirmed ${opts.questions.length} times on the terminal`;
}
