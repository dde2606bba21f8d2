import ora, { type Ora } from 'ora';

/** ora spins forever when stdout has 0 columns: spin only on a TTY, never in CI or with --json. */
export function progress(text: string, opts: { json?: boolean } = {}): { update(t: string): void; stop(final?: string): void } {
  const tty = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI && !opts.json;
  if (!tty) return { update() {}, stop() {} };
  const spinner: Ora = ora({ text, stream: process.stderr }).start();
  return {
    update(t: string) {
      spinner.text = t;
    },
    stop(final?: string) {
      if (final) spinner.succeed(final);
      else spinner.stop();
    },
  };
}
