import { decodeAddress, parseNetTable } from '../../src/host/net.js';

// recorded from /proc/net/tcp and tcp6 of a Debian 12 host
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:08AE 0100007F:C4D2 01 00000000:00000000 02:00098A6B 00000000     0        0 31338 4 0000000000000000 20 4 29 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF0000020200C0:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4243 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4244 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net parsing', () => {
  it('decodes IPv4 host-order words and TCP states', () => {
    const s = parseNetTable(TCP, 'tcp');
    expect(s[0]).toMatchObject({ localAddress: '127.0.0.1', localPort: 2222, state: 'LISTEN', inode: 31337 });
    expect(s[1]).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: 50386, state: 'ESTABLISHED' });
  });

  it('decodes IPv6, v4-mapped and compressed addresses', () => {
    const s = parseNetTable(TCP6, 'tcp6');
    expect(s.map((x) => `${x.localAddress}:${x.localPort}`)).toEqual([':::80', '::ffff:127.0.0.1:8080', '2001:db8::1:22']);
    expect(s[1]!.remoteAddress).toBe('::ffff:192.0.2.2');
    expect(s[1]!.uid).toBe(1000);
  });

  it('decodes a single address', () => {
    expect(decodeAddress('00000000')).toBe('0.0.0.0');
  });
});
