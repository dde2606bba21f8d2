import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { LocalHost } from '../../src/host/local.js';
import { parseGetfattr } from '../../src/host/xattr.js';

describe('Target capabilities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ir-caps-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'opaque'), 'x');
  symlinkSync('/etc/opaque', join(dir, 'etc', 'link'));
  // trusted.* needs root (CI runs as root); user.* works for anyone on tmpfs/ext4
  const name = process.getuid?.() === 0 ? 'trusted.overlay.opaque' : 'user.ir-test';
  execFileSync('setfattr', ['-n', name, '-v', 'y', join(dir, 'etc', 'opaque')]);

  it('an image maps its paths to this machine and back, and nothing outside it', async () => {
    const img = await ImageHost.open(dir);
    expect(await img.localPath('/etc/link')).toBe(join(img.root, 'etc', 'link'));
    expect(img.targetPathOf(join(img.root, 'etc', 'opaque'))).toBe('/etc/opaque');
    expect(img.targetPathOf('/etc/passwd')).toBeNull();
  });

  it('reads extended attributes of an image file, and never those of a link target', async () => {
    const img = await ImageHost.open(dir);
    expect((await img.xattrs('/etc/opaque'))[name]?.toString()).toBe('y');
    expect((await img.xattrs('/etc/opaque', [name]))[name]?.toString()).toBe('y');
    expect(await img.xattrs('/etc/link')).toEqual({});
    await expect(img.xattrs('/etc/missing')).rejects.toThrow(/no such file/);
  });

  it('the local host is its own path space', async () => {
    const local = new LocalHost();
    expect(local.targetPathOf('/tmp/x')).toBe('/tmp/x');
    expect((await local.xattrs(join(dir, 'etc', 'opaque')))[name]?.toString()).toBe('y');
  });

  it('parses getfattr output, hex and quoted values', () => {
    expect(parseGetfattr('# file: /x\nsecurity.capability=0x0100000200200000\nuser.a="b"\nuser.empty\n')).toEqual({
      'security.capability': Buffer.from('0100000200200000', 'hex'),
      'user.a': Buffer.from('b'),
      'user.empty': Buffer.alloc(0),
    });
  });
});
