import { canonicalIp, isLoopbackIp, sameIp } from '../../src/core/ip.js';

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
