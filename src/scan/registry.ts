import type { Detector } from './detector.js';
import { authorizedKeys } from './detectors/authorized-keys.js';
import { cron } from './detectors/cron.js';
import { systemd } from './detectors/systemd.js';
import { ports } from './detectors/ports.js';
import { processes } from './detectors/processes.js';
import { privilege } from './detectors/privilege.js';
import { shellStartup } from './detectors/shell-startup.js';
import { ldPreload } from './detectors/ld-preload.js';
import { suid } from './detectors/suid.js';
import { webshell } from './detectors/webshell.js';
import { pam } from './detectors/pam.js';
import { antiForensics } from './detectors/anti-forensics.js';
import { containers } from './detectors/containers.js';
import { atJobs } from './detectors/at-jobs.js';
import { bootScripts } from './detectors/boot-scripts.js';
import { motd } from './detectors/motd.js';
import { nmDispatcher } from './detectors/nm-dispatcher.js';
import { udev } from './detectors/udev.js';
import { xdgAutostart } from './detectors/xdg-autostart.js';
import { kernelModules } from './detectors/kernel-modules.js';
import { aptHooks } from './detectors/apt-hooks.js';
import { polkit } from './detectors/polkit.js';
import { packageIntegrity } from './detectors/package-integrity.js';
import { sshd } from './detectors/sshd.js';
import { dbus } from './detectors/dbus.js';
import { grub } from './detectors/grub.js';
import { initramfs } from './detectors/initramfs.js';
import { packages } from './detectors/packages.js';
import { git } from './detectors/git.js';
import { tmpExecutables } from './detectors/tmp-executables.js';

/**
 * Every detector, listed explicitly (no import side effects). docs/persistence-scan.md is generated
 * from this list (`npm run docs`), so the table of locations and ATT&CK ids cannot drift from the code.
 */
export const DETECTORS: Detector[] = [
  // foundation: the hardening guide's four checks
  cron,
  authorizedKeys,
  processes,
  ports,
  // persistence map (issue 5): add detectors below this line
  systemd,
  privilege,
  shellStartup,
  ldPreload,
  suid,
  webshell,
  pam,
  antiForensics,
  containers,
  atJobs,
  bootScripts,
  motd,
  nmDispatcher,
  udev,
  xdgAutostart,
  kernelModules,
  aptHooks,
  polkit,
  packageIntegrity,
  sshd,
  // second ring (issue 19): boot, packages, tools, temporary directories
  dbus,
  grub,
  initramfs,
  packages,
  git,
  tmpExecutables,
];
