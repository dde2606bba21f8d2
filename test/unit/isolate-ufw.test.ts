import { detectUfw } from '../../src/isolate/host/firewall.js';

const UFW_NFT = 'table ip filter {\n\tchain ufw-user-input {\n\t\ttcp dport 8080 counter packets 0 bytes 0 accept\n\t}\n}\n';

describe('detectUfw', () => {
  test('ufw status says active', () => {
    expect(detectUfw({ code: 0, stdout: 'Status: active\n\nTo Action From\n' }, '')).toEqual({ active: true, evidence: 'ufw status: active' });
  });
  test('ufw cannot be asked, but its chains are loaded (iptables-nft)', () => {
    expect(detectUfw({ code: null, stdout: '' }, UFW_NFT)).toEqual({ active: true, evidence: "ufw's chain ufw-user-input in nft list ruleset" });
  });
  test('inactive and not installed', () => {
    expect(detectUfw({ code: 0, stdout: 'Status: inactive\n' }, '')).toEqual({ active: false, evidence: 'ufw status: inactive' });
    expect(detectUfw({ code: null, stdout: '' }, 'table inet hostfw {\n}\n')).toEqual({ active: false, evidence: 'ufw is not installed' });
  });
});
