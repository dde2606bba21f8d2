#!/usr/bin/env bash
# test/services/stop.sh STATE_DIR [--purge]
#
# Stops what test/services/start.sh started for STATE_DIR, by pid (pid file,
# checked against the process's command line), deletes the network namespaces,
# veth and route it created, and leaves no mounts behind, even after a crash
# (kill -9 of dockerd leaves shims and containers running: they are killed too).
# Idempotent: when nothing is up it does nothing and exits 0.
# Keeps keys, users and the docker data-root (image) for a fast next start.
# --purge also removes STATE_DIR, the users deploy/deploy-nosudo (with their
# homes) and their /etc/sudoers.d/ir-test-* files.
set -uo pipefail

STATE_ARG=${1:-}
PURGE=0; [ "${2:-}" = --purge ] && PURGE=1
if [ -z "$STATE_ARG" ]; then echo "usage: $0 STATE_DIR [--purge]" >&2; exit 2; fi
if [ "$(id -u)" != 0 ]; then echo "$0: must run as root" >&2; exit 2; fi
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
unset DOCKER_CONTEXT COMPOSE_FILE COMPOSE_PROJECT_NAME

DOCKER_NETNS=irt-docker
REMOTE_NETNS=irt-remote
VETH_HOST=irt-host
SAFETY_NET=10.200.0.0/24
PROJECT=irtest
USERS=(deploy deploy-nosudo)
SUDOERS_FILES=(/etc/sudoers.d/ir-test-deploy /etc/sudoers.d/ir-test-deploy-nosudo)

log() { printf '[stop %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
T_ALL=$(now)
alive() {
  local pid=$1 st
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  st=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]     # a zombie counts as gone (pid 1 may reap late)
}
cmdline_has() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }
pid_from() { [ -s "$1" ] && tr -dc '0-9' < "$1"; }
children() { ps -o pid= --ppid "$1" 2>/dev/null; }
term_wait() { # PID [SECONDS]: TERM, wait, then KILL
  local pid=$1 secs=${2:-10} i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  log "pid $pid ignored SIGTERM for ${secs}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}
stop_pidfile() { # NAME PIDFILE MARKER [SECONDS] [KILL_CHILDREN_FIRST 0|1]
  local pid c; pid=$(pid_from "$2") || true
  if [ -n "$pid" ] && alive "$pid" && cmdline_has "$pid" "$3"; then
    if [ "${5:-0}" = 1 ]; then   # sshd: open sessions are children of the listener
      for c in $(children "$pid"); do term_wait "$c" 3; done
    fi
    term_wait "$pid" "${4:-10}"; log "$1 stopped (pid $pid)"
  else
    log "$1 not running"
  fi
  rm -f "$2"
}
netns_exists() { ip netns list 2>/dev/null | grep -qw "^$1"; }
# start.sh tags its netns and veth with STATE (interface alias): never touch another instance's
ns_owner() { ip -n "$1" -o link show lo 2>/dev/null | sed -n 's/.* alias \(.*[^ ]\) *$/\1/p'; }
link_owner() { ip -o link show "$1" 2>/dev/null | sed -n 's/.* alias \(.*[^ ]\) *$/\1/p'; }
owned_netns() { # NAME: exists and is ours (tagged with STATE, or an untagged empty leftover)
  local o
  netns_exists "$1" || return 1
  o=$(ns_owner "$1")
  [ "$o" = "$STATE" ] && return 0
  [ -z "$o" ] && [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && return 0
  log "netns $1 belongs to ${o:-another, untagged instance}: left alone"
  return 1
}
kill_netns_pids() { # every process still inside a netns we created is ours
  local p; netns_exists "$1" || return 0
  for p in $(ip netns pids "$1" 2>/dev/null); do log "killing leftover pid $p in netns $1"; term_wait "$p" 5; done
}
umount_under() { # lazily unmount anything still mounted below DIR, deepest first
  local m
  awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    log "unmounting leftover $m"; umount -l "$m" 2>/dev/null || true
  done
}

if [ -d "$STATE_ARG" ]; then
  STATE=$(cd "$STATE_ARG" && pwd -P)
else
  STATE=$STATE_ARG
  log "$STATE_ARG does not exist"
fi
SSH_DIR=$STATE/ssh; F2B_DIR=$STATE/fail2ban; DK_DIR=$STATE/docker; RM_DIR=$STATE/remote; RG_DIR=$STATE/registry

# ---------------------------------------------------------------- registry (in dockerd's netns)
[ -d "$RG_DIR" ] && stop_pidfile registry "$RG_DIR/registry.pid" "$RG_DIR/config.yml" 10

# ---------------------------------------------------------------- docker
DOCKER_NS_OWNED=0; owned_netns "$DOCKER_NETNS" && DOCKER_NS_OWNED=1
if [ -d "$DK_DIR" ] || [ $DOCKER_NS_OWNED = 1 ]; then
  T=$(now)
  export DOCKER_HOST=unix://$DK_DIR/docker.sock DOCKER_CONFIG=$DK_DIR/config
  if [ -S "$DK_DIR/docker.sock" ] && timeout 10 docker info >/dev/null 2>&1 && [ -f "$STATE/compose/compose.yaml" ]; then
    if (cd "$STATE/compose" && timeout 60 docker compose -p "$PROJECT" -f "$STATE/compose/compose.yaml" \
          down --remove-orphans </dev/null >>"$DK_DIR/compose-down.log" 2>&1); then
      log "compose project $PROJECT down"
    else
      log "compose down failed (see $DK_DIR/compose-down.log); killing the daemon anyway"
    fi
  fi
  stop_pidfile dockerd "$DK_DIR/dockerd.pid" "$DK_DIR/data" 30
  # after a dockerd crash (kill -9) containers and shims outlive it: kill them through runc's state dir
  RUNC_ROOT=$DK_DIR/run/runtime-runc/moby
  if [ -d "$RUNC_ROOT" ]; then
    for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
      log "killing orphaned container ${id:0:12}"
      runc --root "$RUNC_ROOT" kill --all "$id" KILL 2>/dev/null || true
      sleep 0.2
      runc --root "$RUNC_ROOT" delete --force "$id" 2>/dev/null || true
    done
  fi
  # leftovers naming our dirs (managed containerd, containerd-shim-runc-v2, docker-proxy)
  ps -eo pid=,comm= | awk '$2 ~ /^(dockerd|containerd|containerd-shim|docker-proxy|runc|docker-init|tini)/ {print $1}' |
  while read -r pid; do
    if cmdline_has "$pid" "$DK_DIR/"; then
      log "killing leftover pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-60))"; term_wait "$pid" 5
    fi
  done
  [ $DOCKER_NS_OWNED = 1 ] && kill_netns_pids "$DOCKER_NETNS"
  [ -d "$DK_DIR" ] && umount_under "$DK_DIR"
  # container cgroups (--cgroup-parent /irtest-docker); rmdir fails harmlessly while busy
  find /sys/fs/cgroup -maxdepth 3 -type d -name 'irtest-docker*' 2>/dev/null | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  [ $DOCKER_NS_OWNED = 1 ] && ip netns del "$DOCKER_NETNS" && log "netns $DOCKER_NETNS deleted"
  rm -rf "$DK_DIR/run" "$DK_DIR/docker.sock"
  # containerd hardcodes its shim-socket dir /run/containerd/s; drop it if empty (no system containerd)
  rmdir /run/containerd/s /run/containerd 2>/dev/null || true
  log "docker done in $(awk -v a="$T" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')s"
fi

# ---------------------------------------------------------------- fail2ban
if [ -d "$F2B_DIR" ]; then
  pid=$(pid_from "$F2B_DIR/fail2ban.pid") || true
  if [ -S "$F2B_DIR/fail2ban.sock" ] && timeout 15 fail2ban-client -s "$F2B_DIR/fail2ban.sock" stop </dev/null >/dev/null 2>&1; then
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    log "fail2ban stopped via fail2ban-client (pid $pid)"
    rm -f "$F2B_DIR/fail2ban.pid"
  fi
  # fallback when the client cannot reach it: by pid
  [ -s "$F2B_DIR/fail2ban.pid" ] && stop_pidfile fail2ban "$F2B_DIR/fail2ban.pid" "$F2B_DIR/fail2ban.sock" 10
  rm -f "$F2B_DIR/fail2ban.sock"
fi

# ---------------------------------------------------------------- sshd (local)
[ -d "$SSH_DIR" ] && stop_pidfile sshd "$SSH_DIR/sshd.pid" "$SSH_DIR/sshd_config" 10 1

# ---------------------------------------------------------------- remote
REMOTE_NS_OWNED=0; owned_netns "$REMOTE_NETNS" && REMOTE_NS_OWNED=1
[ -d "$RM_DIR" ] && stop_pidfile remote-sshd "$RM_DIR/sshd.pid" "$RM_DIR/sshd_config" 10 1
[ $REMOTE_NS_OWNED = 1 ] && kill_netns_pids "$REMOTE_NETNS"
if ip link show "$VETH_HOST" >/dev/null 2>&1; then
  o=$(link_owner "$VETH_HOST")
  if [ "$o" = "$STATE" ] || { [ -z "$o" ] && { [ $REMOTE_NS_OWNED = 1 ] || ! netns_exists "$REMOTE_NETNS"; }; }; then
    ip link del "$VETH_HOST" && log "veth $VETH_HOST deleted"
  else
    log "veth $VETH_HOST belongs to ${o:-another, untagged instance}: left alone"
  fi
fi
[ $REMOTE_NS_OWNED = 1 ] && ip netns del "$REMOTE_NETNS" && log "netns $REMOTE_NETNS deleted"
# the safety route stays as long as some instance still has the veth
if ! ip link show "$VETH_HOST" >/dev/null 2>&1 && ip route show type unreachable 2>/dev/null | grep -q "^unreachable $SAFETY_NET"; then
  ip route del unreachable "$SAFETY_NET" && log "route unreachable $SAFETY_NET deleted"
fi

if [ "$PURGE" = 1 ]; then
  for u in "${USERS[@]}"; do
    if getent passwd "$u" >/dev/null; then
      # sshd stopped above took the users' sessions with it
      if userdel -r "$u" >/dev/null 2>&1 || userdel "$u"; then log "user $u removed"; else log "could not remove user $u"; fi
    fi
  done
  rm -f "${SUDOERS_FILES[@]}"
  if [ -d "$STATE" ]; then
    umount_under "$STATE"
    rm -rf "$STATE" && log "purged $STATE"
  fi
fi
log "all stopped in $(awk -v a="$T_ALL" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')s"
exit 0
