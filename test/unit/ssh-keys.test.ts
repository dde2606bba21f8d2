import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuthorizedKey } from '../../src/scan/ssh-keys.js';

describe('parseAuthorizedKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ir-keys-'));
  let n = 0;
  const key = (type: string, bits?: number) => {
    const f = join(dir, `${type}-${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'someone@example.com', '-f', f]);
    return f;
  };

  it.each([
    ['ed25519', 0],
    ['ecdsa', 384],
    ['rsa', 3072],
  ])('fingerprint and bits of %s equal ssh-keygen -lf', (type: string, bits: number) => {
    const f = key(type, bits || undefined);
    const pub = execFileSync('cat', [`${f}.pub`]).toString().trim();
    const [kbits, fp] = execFileSync('ssh-keygen', ['-lf', `${f}.pub`]).toString().split(' ');
    const parsed = parseAuthorizedKey(pub);
    expect(parsed.fingerprint).toBe(fp);
    expect(parsed.bits).toBe(Number(kbits));
    expect(parsed.comment).toBe('someone@example.com');
  });

  it('parses options with quoted commas and spaces', () => {
    const pub = execFileSync('cat', [`${key('ed25519')}.pub`]).toString().trim();
    const p = parseAuthorizedKey(`from="192.0.2.0/24,198.51.100.7",command="echo \\"a, b\\"; ls",no-pty,environment="X=1" ${pub}`);
    expect(p.options).toEqual({ from: '192.0.2.0/24,198.51.100.7', command: 'echo "a, b"; ls', 'no-pty': true, environment: 'X=1' });
    expect(p.type).toBe('ssh-ed25519');
  });

  it('rejects lines whose data does not match the type, and garbage', () => {
    const pub = execFileSync('cat', [`${key('ed25519')}.pub`]).toString().trim().split(' ');
    expect(() => parseAuthorizedKey(`ssh-rsa ${pub[1]}`)).toThrow(/does not match/);
    expect(() => parseAuthorizedKey('hello world')).toThrow(/not an SSH public key/);
    writeFileSync(join(dir, 'x'), '');
  });
});
