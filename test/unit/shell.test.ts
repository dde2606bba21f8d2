import { execFileSync } from 'node:child_process';
import { shellLine, shQuote } from '../../src/core/shell.js';

describe('shellLine', () => {
  it('shows a hostile name with no raw control byte, and bash reads back the exact name', () => {
    const names = ['/etc/cron.d/x\x1b[2J\x1b]0;pwned\x07\u009b2J', "it's \\ \x01\n", 'evil\u202egnp.sh', 'plain name', "$(id)`id`"];
    for (const n of names) {
      const line = shellLine(['printf', '%s', n]);
      expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
      expect(execFileSync('bash', ['-c', line]).toString('utf8')).toBe(n);
    }
    expect(shellLine(['rm', '/etc/cron.d/x\x1b[2J'])).toBe("rm $'/etc/cron.d/x\\x1b[2J'");
  });

  it('keeps plain arguments plain and POSIX-quotes the rest', () => {
    expect(shellLine(['ir', 'ban', '--jail', 'sshd', '192.0.2.1'])).toBe('ir ban --jail sshd 192.0.2.1');
    expect(shellLine(['a b', ''])).toBe("'a b' ''");
    expect(shQuote("it's")).toBe("'it'\\''s'");
  });
});
