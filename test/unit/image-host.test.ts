import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { TargetError } from '../../src/host/target.js';

function image(): string {
  const root = mkdtempSync(join(tmpdir(), 'ir-img-'));
  mkdirSync(join(root, 'etc/cron.d'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'img-host\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'usr/lib/os-release'), 'ID=debian\n');
  // absolute links inside an image point into the image, never to the analyst's machine
  symlinkSync('/usr/lib/os-release', join(root, 'etc/os-release'));
  symlinkSync('/etc/passwd', join(root, 'etc/cron.d/evil'));
  symlinkSync('../../../../../../etc/shadow', join(root, 'etc/escape'));
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('loop-b', join(root, 'etc/loop-a'));
  symlinkSync('loop-a', join(root, 'etc/loop-b'));
  execFileSync('mkfifo', [join(root, 'etc/fifo')]);
  return root;
}

describe('ImageHost (--root)', () => {
  const root = image();

  it('resolves absolute and relative links inside the image', async () => {
    const t = await ImageHost.open(root);
    expect(t.name).toBe('img-host');
    expect((await t.readFile('/etc/os-release')).toString()).toBe('ID=debian\n');
    expect((await t.readFile('/lib/os-release')).toString()).toBe('ID=debian\n');
    expect((await t.readFile('/etc/cron.d/evil')).toString()).toContain('root:x:0:0');
    expect((await t.lstat('/etc/os-release'))?.type).toBe('symlink');
    expect(await t.readlink('/etc/os-release')).toBe('/usr/lib/os-release');
  });

  it('never climbs out of the root with ..', async () => {
    const t = await ImageHost.open(root);
    // ../../etc/shadow from the image's /etc stops at the image root: the image has no /etc/shadow
    await expect(t.readFile('/etc/escape')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(t.readFile('/../../../etc/hostname')).resolves.toEqual(Buffer.from('img-host\n'));
  });

  it('reports loops and refuses FIFOs without blocking', async () => {
    const t = await ImageHost.open(root);
    await expect(t.readFile('/etc/loop-a')).rejects.toBeInstanceOf(TargetError);
    await expect(t.readFile('/etc/fifo')).rejects.toMatchObject({ code: 'NOT_REGULAR' });
    expect(await t.stat('/etc/loop-a')).toBeNull();
  });

  it('refuses a missing directory and a directory that is not a root file system', async () => {
    await expect(ImageHost.open('/nonexistent/ir')).rejects.toThrow(/no such directory/);
    await expect(ImageHost.open(mkdtempSync(join(tmpdir(), 'ir-empty-')))).rejects.toThrow(/not a root file system/);
  });

  it('says processes are not available offline', async () => {
    const t = await ImageHost.open(root);
    await expect(t.exec(['ps'])).rejects.toThrow(/not available offline/);
  });
});
