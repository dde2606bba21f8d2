import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendKnownHost, hostFieldMatches, knownKeysFor, verifyHostKey } from '../../src/host/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'ir-kh-'));
function newKey(name: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const line = readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}

describe('known_hosts', () => {
  const a = newKey('a');
  const b = newKey('b');

  it('matches plain, bracketed-port and hashed entries written by ssh-keygen -H', async () => {
    const plain = join(dir, 'plain');
    writeFileSync(plain, `[127.0.0.1]:2222,[localhost]:2222 ${a.line}\nexample.com ${b.line}\n`);
    expect(verifyHostKey(await knownKeysFor([plain], '127.0.0.1', 2222), a.blob).status).toBe('match');
    expect(verifyHostKey(await knownKeysFor([plain], 'example.com', 22), b.blob).status).toBe('match');
    const hashed = join(dir, 'hashed');
    writeFileSync(hashed, readFileSync(plain));
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    expect(verifyHostKey(await knownKeysFor([hashed], '127.0.0.1', 2222), a.blob).status).toBe('match');
    expect(verifyHostKey(await knownKeysFor([hashed], '127.0.0.1', 2223), a.blob).status).toBe('unknown');
  });

  it('reports a changed key with the known entries, and @revoked keys', async () => {
    const f = join(dir, 'changed');
    writeFileSync(f, `[127.0.0.1]:2222 ${a.line}\n@revoked * ${b.line}\n`);
    const v = verifyHostKey(await knownKeysFor([f], '127.0.0.1', 2222), b.blob);
    expect(v.status).toBe('revoked');
    const other = newKey('c');
    const c = verifyHostKey(await knownKeysFor([f], '127.0.0.1', 2222), other.blob);
    expect(c.status).toBe('changed');
  });

  it('honours wildcards and negation', () => {
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'web1.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
  });

  it('appends hashed entries that ssh-keygen -F finds', async () => {
    const f = join(dir, 'new');
    await appendKnownHost(f, '127.0.0.1', 2222, a.blob);
    expect(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', f]).toString()).toContain('ssh-ed25519');
  });
});
