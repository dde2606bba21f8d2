import { forTerminal } from '../../src/output/sanitize.js';

describe('forTerminal', () => {
  it('strips escape sequences and shows other control bytes', () => {
    expect(forTerminal('a\x1b[31mred\x1b[0m\x1b]0;title\x07b')).toBe('aredb');
    expect(forTerminal('x\x00y\x7fz\rw')).toBe('x\\x00y\\x7fz\\x0dw');
    expect(forTerminal('l1\nl2')).toBe('l1\\nl2');
    expect(forTerminal('l1\nl2', { multiline: true })).toBe('l1\nl2');
  });

  it('keeps invalid UTF-8 as replacement characters and bounds length', () => {
    expect(forTerminal(Buffer.from([0x61, 0xff, 0x62]).toString('utf8'))).toBe('a\ufffdb');
    expect(forTerminal('x'.repeat(1_000_000), { max: 50 })).toHaveLength(50);
  });
});
