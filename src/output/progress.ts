import type { Ora } from 'ora';
import { inProcess } from '../core/step.js';

/**
 * ora spins forever when stdout has 0 columns: spin only on a TTY, never in CI or with --json.
 * ora is loaded on first use (it costs ~100 ms of start-up that a pipe or --json run never needs);
 * the spinner appears once it has loaded, and a stop() before that simply cancels it.
 */
export function progress(text: string, opts: { json?: boolean } = {}): { update(t: string): void; stop(final?: string): void } {
  // a playbook step's stderr is a file, whatever this process's is
  const tty = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI && !opts.json && !inProcess()?.step;
  if (!tty) return { update() {}, stop() {} };
  let spinner: Ora | undefined;
  let current = text;
  let stopped = false;
  void import('ora').then(({ default: ora }) => {
    if (!stopped) spinner = ora({ text: current, stream: process.stderr }).start();
  });
  return {
    update(t: string) {
      current = t;
      if (spinner) spinner.text = t;
    },
    stop(final?: string) {
      stopped = true;
      if (!spinner) {
        if (final) process.stderr.write(`✔ ${final}\n`);
        return;
      }
      if (final) spinner.succeed(final);
      else spinner.stop();
    },
  };
}
