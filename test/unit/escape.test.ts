import { clip, escapeControls, hasControls, toJson } from '../../src/core/escape.js';

describe('escapeControls', () => {
  it('shows escape sequences instead of dropping them, so a name is never shown as another', () => {
    expect(escapeControls('a\x1b[31mred\x1b[0m\x1b]0;title\x07b')).toBe('a\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07b');
    expect(escapeControls('/etc/cron.d/\x1b[2JRED')).toBe('/etc/cron.d/\\x1b[2JRED');
    expect(escapeControls('x\x00y\x7fz\rw')).toBe('x\\x00y\\x7fz\\x0dw');
    expect(escapeControls('l1\nl2')).toBe('l1\\nl2');
    expect(escapeControls('l1\nl2\tx', { multiline: true })).toBe('l1\nl2\tx');
  });

  it('shows C1 controls (U+009B is a CSI) and bidi overrides', () => {
    expect(escapeControls('a\u009b2Jb')).toBe('a\\x9b2Jb');
    expect(escapeControls('evil\u202egnp.sh')).toBe('evil\\u202egnp.sh');
    expect(escapeControls('a\u2028b')).toBe('a\\u2028b');
  });

  it('leaves no ESC, BEL or C1 byte in its output, for any input', () => {
    let all = '';
    for (let i = 0; i < 0x100; i++) all += String.fromCharCode(i);
    for (const multiline of [false, true]) {
      const out = escapeControls(all, { multiline });
      expect(hasControls(out.replace(/[\n\t]/g, ''))).toBe(false);
      expect(out).not.toMatch(/[\x1b\x07\x80-\x9f]/);
    }
  });

  it('keeps invalid UTF-8 as replacement characters and bounds length', () => {
    expect(escapeControls(Buffer.from([0x61, 0xff, 0x62]).toString('utf8'))).toBe('a\ufffdb');
    expect(escapeControls('x'.repeat(1_000_000), { max: 50 })).toHaveLength(50);
  });
});

describe('clip and toJson', () => {
  it('clip bounds a raw value without escaping it', () => {
    expect(clip('a\x1bb', 10)).toBe('a\x1bb');
    expect(clip('abcdef', 4)).toBe('abc…');
  });

  it('toJson escapes C1, DEL and bidi controls and round-trips', () => {
    const v = { name: 'x\u009by\x7f\u202e\x1b' };
    const text = toJson(v);
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u007f');
    expect(text).toContain('\\u202e');
    expect(text).toContain('\\u001b');
    expect(text).not.toMatch(/[\x1b\x7f-\x9f\u202e]/);
    expect(JSON.parse(text)).toEqual(v);
  });
});
