import type { SweepCheck } from './check.js';
import { sshPermitRootLogin } from './checks/ssh-permit-root-login.js';
import { sshPasswordAuthentication } from './checks/ssh-password-authentication.js';
import { sshPubkeyAuthentication } from './checks/ssh-pubkey-authentication.js';
import { sshKbdInteractive } from './checks/ssh-kbd-interactive.js';
import { sshMaxAuthTries } from './checks/ssh-max-auth-tries.js';
import { sshX11Forwarding } from './checks/ssh-x11-forwarding.js';
import { fail2banInstalled } from './checks/fail2ban-installed.js';
import { fail2banRunning } from './checks/fail2ban-running.js';
import { fail2banSshdJail } from './checks/fail2ban-sshd-jail.js';
import { fail2banMaxretry } from './checks/fail2ban-maxretry.js';
import { fail2banBantime } from './checks/fail2ban-bantime.js';
import { fail2banFindtime } from './checks/fail2ban-findtime.js';
import { fail2banBanaction } from './checks/fail2ban-banaction.js';
import { fail2banBackend } from './checks/fail2ban-backend.js';
import { ufwActive } from './checks/ufw-active.js';
import { ufwDefaultDeny } from './checks/ufw-default-deny.js';
import { ufwAllowedPorts } from './checks/ufw-allowed-ports.js';
import { dockerPublishedPorts } from './checks/docker-published-ports.js';
import { dockerUserChain } from './checks/docker-user-chain.js';
import { listeningDataPorts } from './checks/listening-data-ports.js';
import { listeningUnexpectedPorts } from './checks/listening-unexpected-ports.js';
import { updatesInstalled } from './checks/updates-installed.js';
import { updatesEnabled } from './checks/updates-enabled.js';
import { dockerNonRoot } from './checks/docker-non-root.js';
import { dockerReadOnlyRootfs } from './checks/docker-read-only-rootfs.js';
import { dockerCapabilities } from './checks/docker-capabilities.js';
import { dockerNoNewPrivileges } from './checks/docker-no-new-privileges.js';
import { dockerMemoryLimit } from './checks/docker-memory-limit.js';
import { dockerCpuLimit } from './checks/docker-cpu-limit.js';
import { dockerHealthcheck } from './checks/docker-healthcheck.js';
import { dockerImageDigest } from './checks/docker-image-digest.js';
import { dockerPrivileged } from './checks/docker-privileged.js';
import { dockerSocketMount } from './checks/docker-socket-mount.js';
import { dockerHostNetwork } from './checks/docker-host-network.js';
import { dockerInternalNetwork } from './checks/docker-internal-network.js';
import { dockerDaemonUserns } from './checks/docker-daemon-userns.js';
import { dockerDaemonNoNewPrivileges } from './checks/docker-daemon-no-new-privileges.js';
import { dockerDaemonIcc } from './checks/docker-daemon-icc.js';
import { dockerDaemonLogRotation } from './checks/docker-daemon-log-rotation.js';
import { accountsEmptyPassword } from './checks/accounts-empty-password.js';
import { accountsWeakHash } from './checks/accounts-weak-hash.js';
import { dockerGroupMembers } from './checks/docker-group-members.js';
import { appEnvFileMode } from './checks/app-env-file-mode.js';
import { appPermissions } from './checks/app-permissions.js';
import { appWorldWritable } from './checks/app-world-writable.js';
import { appOwnership } from './checks/app-ownership.js';
import { appServiceUser } from './checks/app-service-user.js';
import { appLogRotation } from './checks/app-log-rotation.js';
import { djangoDebug } from './checks/django-debug.js';
import { djangoSecureCookies } from './checks/django-secure-cookies.js';
import { djangoHsts } from './checks/django-hsts.js';
import { postgresListenLocal } from './checks/postgres-listen-local.js';
import { postgresHbaScram } from './checks/postgres-hba-scram.js';
import { postgresRoleSuperuser } from './checks/postgres-role-superuser.js';
import { redisBind } from './checks/redis-bind.js';
import { redisProtectedMode } from './checks/redis-protected-mode.js';
import { redisPassword } from './checks/redis-password.js';
import { nginxServerTokens } from './checks/nginx-server-tokens.js';
import { nginxSecurityHeaders } from './checks/nginx-security-headers.js';
import { tlsCertificateExpiry } from './checks/tls-certificate-expiry.js';
import { backupScheduled } from './checks/backup-scheduled.js';

/**
 * Every sweep check, listed explicitly (no import side effects), in report order. docs/sweep.md's
 * table is generated from this list (test/unit/docs.test.ts fails when it drifts).
 */
export const CHECKS: SweepCheck[] = [
  // SSH (Hardening §1, verification 1)
  sshPermitRootLogin,
  sshPasswordAuthentication,
  sshPubkeyAuthentication,
  sshKbdInteractive,
  sshMaxAuthTries,
  sshX11Forwarding,
  // fail2ban (Hardening §2, verification 2)
  fail2banInstalled,
  fail2banRunning,
  fail2banSshdJail,
  fail2banMaxretry,
  fail2banBantime,
  fail2banFindtime,
  fail2banBanaction,
  fail2banBackend,
  // firewall (Hardening §3, verification 3; Setup guide §8)
  ufwActive,
  ufwDefaultDeny,
  ufwAllowedPorts,
  dockerPublishedPorts,
  dockerUserChain,
  listeningDataPorts,
  listeningUnexpectedPorts,
  // updates (Hardening §4)
  updatesInstalled,
  updatesEnabled,
  // Docker containers (Hardening §5–11, verifications 4–9) and daemon (Setup guide §5)
  dockerNonRoot,
  dockerReadOnlyRootfs,
  dockerCapabilities,
  dockerNoNewPrivileges,
  dockerMemoryLimit,
  dockerCpuLimit,
  dockerHealthcheck,
  dockerImageDigest,
  dockerPrivileged,
  dockerSocketMount,
  dockerHostNetwork,
  dockerInternalNetwork,
  dockerDaemonUserns,
  dockerDaemonNoNewPrivileges,
  dockerDaemonIcc,
  dockerDaemonLogRotation,
  // accounts (Setup guide §1, §5, checklist)
  accountsEmptyPassword,
  accountsWeakHash,
  dockerGroupMembers,
  // application host (Setup guide)
  appServiceUser,
  appEnvFileMode,
  appPermissions,
  appWorldWritable,
  appOwnership,
  appLogRotation,
  djangoDebug,
  djangoSecureCookies,
  djangoHsts,
  postgresListenLocal,
  postgresHbaScram,
  postgresRoleSuperuser,
  redisBind,
  redisProtectedMode,
  redisPassword,
  nginxServerTokens,
  nginxSecurityHeaders,
  tlsCertificateExpiry,
  backupScheduled,
];
