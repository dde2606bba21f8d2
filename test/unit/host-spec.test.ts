import { parseHostSpec } from '../../src/host/host-spec.js';
import { shQuote } from '../../src/core/shell.js';
import { execFileSync } from 'node:child_process';

describe('--host', () => {
  it.each([
    ['web1', { host: 'web1' }],
    ['deploy@web1.example.com', { user: 'deploy', host: 'web1.example.com' }],
    ['deploy@192.0.2.10:2222', { user: 'deploy', host: '192.0.2.10', port: 2222 }],
    ['[2001:db8::5]:2200', { host: '2001:db8::5', port: 2200 }],
    ['2001:db8::5', { host: '2001:db8::5' }],
    ['ir_remote', { host: 'ir_remote' }],
    ['fe80::1%eth0', { host: 'fe80::1%eth0' }],
  ])('parses %s', (raw, want) => {
    expect(parseHostSpec(raw)).toMatchObject(want);
  });

  it.each(['', 'a b', '-oProxyCommand=x', 'web1:http', 'web1:70000', '@web1'])('refuses %j', (raw) => {
    expect(() => parseHostSpec(raw)).toThrow();
  });

  it.each([
    ['a;b', /";" is not allowed/],
    ['a|b', /"\|" is not allowed/],
    ['a&b', /"&" is not allowed/],
    ['$(id)', /"\$" is not allowed/],
    ["it's", /"'" is not allowed/],
    ['a"b', /""" is not allowed/],
    ['a`id`', /"`" is not allowed/],
    ['a\tb', /whitespace is not allowed/],
    ['web\x1b[2J', /a control character is not allowed/],
    ['web\u009b', /a control character is not allowed/],
    ['-web1', /cannot start with "-"/],
  ])('refuses %j before any lookup, naming what is wrong', (raw, why) => {
    expect(() => parseHostSpec(raw.replace(/\\t/, '\t').replace('\\x1b', '\x1b').replace('\\u009b', '\u009b'))).toThrow(why);
  });
});

describe('shQuote', () => {
  it('round-trips hostile arguments through a real shell', () => {
    for (const arg of ["it's", '$(id)', '`id`', 'a b', '"; rm -rf /', '\n', '*', '']) {
      expect(execFileSync('sh', ['-c', `printf %s ${shQuote(arg)}`]).toString()).toBe(arg);
    }
  });
});
