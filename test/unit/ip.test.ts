import { canonicalIp, inetAton, ipSpellingProblem, isLoopbackIp, sameIp } from '../../src/core/ip.js';

describe('canonicalIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8::BAD', '2001:db8::bad'],
    ['2001:db8:0:0:0:0:0:7', '2001:db8::7'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['0::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['::FFFF:127.0.0.1', '127.0.0.1'],
    ['::ffff:c000:0201', '192.0.2.1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
  ])('%s is %s', (a, b) => expect(canonicalIp(a)).toBe(b));

  it.each(['127.1', '0177.0.0.1', '0x7f.0.0.1', '192.0.2.256', 'example.com', '', '1.2.3.4; rm', '2001:db8::/32', '[::1]'])('%s is not an address', (a) => expect(canonicalIp(a)).toBeNull());

  it('compares addresses, not strings', () => {
    expect(sameIp('2001:DB8::7', '2001:db8:0::7')).toBe(true);
    expect(sameIp('::ffff:192.0.2.1', '192.0.2.1')).toBe(true);
    expect(sameIp('192.0.2.1', '192.0.2.10')).toBe(false);
    expect(isLoopbackIp('0::1')).toBe(true);
    expect(isLoopbackIp('::ffff:7f00:1')).toBe(true);
    expect(isLoopbackIp('127.8.9.10')).toBe(true);
    expect(isLoopbackIp('::2')).toBe(false);
  });
});

describe('odd IPv4 spellings', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['10.1.2', '10.1.0.2'],
    ['192.0.2.1', '192.0.2.1'],
  ])('inet_aton reads %s as %s', (a, b) => expect(inetAton(a)).toBe(b));

  it.each(['1.2.3.256', '08.1.1.1', '1.2.3.4.5', '256.1', 'a.b.c.d', ''])('inet_aton refuses %s', (a) => expect(inetAton(a)).toBeNull());

  it('says why a text is not an address, and what other tools would read', () => {
    expect(ipSpellingProblem('192.0.2.1')).toBeNull();
    expect(ipSpellingProblem('2001:DB8::BAD')).toBeNull();
    expect(ipSpellingProblem('127.1')).toBe('an abbreviated IPv4 address, which other tools read as 127.0.0.1: write all four numbers');
    expect(ipSpellingProblem('0177.0.0.1')).toBe('leading zeros, which other tools read as octal (127.0.0.1): write four decimal numbers without them');
    expect(ipSpellingProblem('0x7f.0.0.1')).toBe('a hexadecimal IPv4 spelling, which other tools read as 127.0.0.1: write four decimal numbers');
    expect(ipSpellingProblem('192.0.2.256')).toBe('a number above 255');
    expect(ipSpellingProblem('203.0.113.0/24')).toBe('a network, not one address');
    expect(ipSpellingProblem('[::1]')).toBe('brackets: give the address alone');
    expect(ipSpellingProblem('example.com')).toBe('not an IPv4 or IPv6 address');
  });
});
