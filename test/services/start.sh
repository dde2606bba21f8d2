#!/usr/bin/env bash
# test/services/start.sh STATE_DIR
#
# Starts REAL services for ir's integration tests. Every service gets its own
# config, keys, sockets, pid files and logs under STATE_DIR; the system-wide
# daemons and the host firewall are never touched:
#   ssh      OpenSSH sshd on 127.0.0.1:$IR_SSH_PORT (2222). Login user "deploy"
#            (passwordless sudo), "deploy-nosudo" (sudo needs a password), root
#            (key only, for setup). AuthorizedKeysFile is non-default:
#            ".ssh/authorized_keys STATE/ssh/authorized_keys/%u".
#   fail2ban fail2ban-server with its own conf dir/socket/pid/db; jails "sshd"
#            and "recidive-test" on log files under STATE_DIR; banaction
#            "dummy" (writes a file, never the firewall).
#   docker   Debian's dockerd (docker.io) in its own network namespace with its
#            own data-root/exec-root/socket, an offline busybox image and the
#            compose project "irtest" (app + db, networks front + internal back).
#   registry Debian's docker-registry on 127.0.0.1:5000 inside dockerd's netns
#            (loopback registries are insecure-allowed by dockerd's default);
#            the busybox image is pushed there, so it has a real RepoDigest.
#   remote   a second "host": sshd in netns irt-remote at 10.200.0.2:22 (veth).
#
# Idempotent: whatever is already up is left alone, missing pieces are
# (re)created. No stdin needed (CI=true). Needs root on Debian 12.
# Writes STATE_DIR/env.sh and STATE_DIR/env.json (only vars of started services).
#
# Knobs: IR_SERVICES="ssh fail2ban docker remote" (subset), IR_SSH_PORT=2222,
#        IR_INSTALL=1 (0: fail instead of apt-get install), IR_COMPOSE=auto|v2|v1,
#        IR_CACHE_DIR=/var/cache/ir-test-services (compose v2 binary cache).
set -Eeuo pipefail

STATE_ARG=${1:-}
if [ -z "$STATE_ARG" ]; then echo "usage: $0 STATE_DIR" >&2; exit 2; fi
if [ "$(id -u)" != 0 ]; then echo "$0: must run as root" >&2; exit 2; fi
mkdir -p "$STATE_ARG"
STATE=$(cd "$STATE_ARG" && pwd -P)
# unix socket paths are capped at 107 bytes; longest: STATE/docker/run/containerd/containerd.sock.ttrpc
if [ ${#STATE} -gt 60 ]; then
  echo "$0: STATE_DIR too long (${#STATE} > 60 chars) for unix sockets: $STATE" >&2; exit 2
fi
# the login users must be able to traverse to their authorized_keys file
chmod go+rx "$STATE"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
unset DOCKER_HOST DOCKER_CONTEXT COMPOSE_FILE COMPOSE_PROJECT_NAME

SERVICES=${IR_SERVICES:-ssh fail2ban docker remote}
SSH_PORT=${IR_SSH_PORT:-2222}
INSTALL=${IR_INSTALL:-1}
COMPOSE_WANT=${IR_COMPOSE:-auto}
CACHE_DIR=${IR_CACHE_DIR:-/var/cache/ir-test-services}
SSH_USER=deploy
NOSUDO_USER=deploy-nosudo
SUDOERS=/etc/sudoers.d/ir-test-deploy
SUDOERS_NOSUDO=/etc/sudoers.d/ir-test-deploy-nosudo
DOCKER_NETNS=irt-docker
REMOTE_NETNS=irt-remote
REGISTRY=127.0.0.1:5000
VETH_HOST=irt-host
VETH_REMOTE=irt-remote
REMOTE_HOST_IP=10.200.0.1
REMOTE_IP=10.200.0.2
SAFETY_NET=10.200.0.0/24   # "unreachable" route: 10.200.x never leaks to the default route
IMAGE=ir-busybox:test
PROJECT=irtest

log() { printf '[start %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[start] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "[start] ERROR: line %s: \`%s\` failed (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$rc" >&2' ERR
want() { case " $SERVICES " in *" $1 "*) return 0;; *) return 1;; esac; }
now() { date +%s.%N; }
T_ALL=$(now)
TIMINGS=$STATE/timings.txt
: > "$TIMINGS"
timing() { # NAME START
  local d; d=$(awk -v a="$2" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')
  echo "$1 ${d}s" >> "$TIMINGS"; log "$1: ${d}s"
}
# alive PID: exists and is not a zombie (pid 1 may reap late)
alive() {
  local pid=$1 st
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  st=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
# pid_ok PIDFILE MARKER: the pid file names a live process whose cmdline contains MARKER
pid_ok() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc '0-9' < "$1")
  alive "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}
wait_for() { # SECONDS CMD...
  local deadline; deadline=$(awk -v a="$(now)" -v s="$1" 'BEGIN{printf "%.2f", a+s}'); shift
  until "$@" >/dev/null 2>&1; do
    awk -v a="$(now)" -v d="$deadline" 'BEGIN{exit !(a>d)}' && return 1
    sleep 0.1
  done
}
port_listening() { ss -Hltn "sport = :$2" 2>/dev/null | awk '{print $4}' | grep -qx "$1:$2"; }
netns_exists() { ip netns list 2>/dev/null | grep -qw "^$1"; }
# the netns and the veth are tagged with STATE (interface alias), so that a stop.sh
# for another STATE_DIR leaves them alone
ns_owner() { ip -n "$1" -o link show lo 2>/dev/null | sed -n 's/.* alias \(.*[^ ]\) *$/\1/p'; }
link_owner() { ip -o link show "$1" 2>/dev/null | sed -n 's/.* alias \(.*[^ ]\) *$/\1/p'; }
claim_netns() { # NAME: create or adopt the netns and tag it with STATE
  local o
  if netns_exists "$1"; then
    o=$(ns_owner "$1")
    if [ "$o" != "$STATE" ] && [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; then
      die "netns $1 is in use by ${o:-another, untagged instance}: only one STATE_DIR can run at a time, stop that one first"
    fi
  else
    ip netns add "$1"
  fi
  ip -n "$1" link set lo alias "$STATE"
  ip -n "$1" link set lo up
}

# ---------------------------------------------------------------- packages
T=$(now)
need=()
if want ssh || want remote; then
  [ -x /usr/sbin/sshd ] || need+=(openssh-server)
  [ -x /usr/lib/openssh/sftp-server ] || need+=(openssh-sftp-server)
  command -v ssh >/dev/null || need+=(openssh-client)
  command -v sudo >/dev/null || need+=(sudo)
fi
if want fail2ban; then
  [ -x /usr/bin/fail2ban-server ] || need+=(fail2ban)
  command -v sqlite3 >/dev/null || need+=(sqlite3)
fi
if want docker; then
  [ -x /usr/sbin/dockerd ] || need+=(docker.io)
  command -v iptables >/dev/null || need+=(iptables)
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  command -v curl >/dev/null || need+=(curl)
  # compose v1 (Debian's python docker-compose 1.29): the isolate tests force ir's fallback to it
  command -v docker-compose >/dev/null || need+=(docker-compose)
fi
command -v ip >/dev/null && command -v ss >/dev/null || need+=(iproute2)
command -v ps >/dev/null || need+=(procps)
command -v nsenter >/dev/null || need+=(util-linux)
# tools the tests themselves use: nft for host containment (isolate), python3 for planted processes,
# chromium for the case report's rendering test
command -v nft >/dev/null || need+=(nftables)
# ufw for the isolate test on a host that runs it (enabled only inside that test's netns; installed, ufw stays ENABLED=no)
command -v ufw >/dev/null || need+=(ufw)
command -v python3 >/dev/null || need+=(python3)
command -v chromium >/dev/null || need+=(chromium)
command -v gzip >/dev/null || need+=(gzip)
# getfattr/setfattr: extended attributes (overlay opaque directories, file capabilities) have no Node API
command -v getfattr >/dev/null || need+=(attr)
# the library systemd-journal-remote links to: that tool (extracted below, never installed as a service)
# writes real journal files for the journal collection test
dpkg -s libmicrohttpd12 >/dev/null 2>&1 || need+=(libmicrohttpd12)

apt_install() { # PKG...
  [ "$INSTALL" = 1 ] || die "missing packages: $* (IR_INSTALL=0)"
  log "apt-get install --no-install-recommends $*"
  # package postinst scripts must never start the system-wide daemons
  local made_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } </dev/null >>"$STATE/apt-install.log" 2>&1 || rc=$?
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ $rc != 0 ]; then tail -20 "$STATE/apt-install.log" >&2; die "apt-get install $* failed (log: $STATE/apt-install.log)"; fi
}
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; timing install "$T"; fi

SSH_DIR=$STATE/ssh
AK_DIR=$SSH_DIR/authorized_keys
F2B_DIR=$STATE/fail2ban
DK_DIR=$STATE/docker
RG_DIR=$STATE/registry
RM_DIR=$STATE/remote
ENV_NAMES=()
declare -A ENV_VALS=()
setenv() { ENV_NAMES+=("$1"); ENV_VALS[$1]=$2; }   # NAME VALUE for env.sh / env.json
setenv IR_STATE "$STATE"
setenv IR_SERVICES "$SERVICES"

# ---------------------------------------------------------------- users, keys (ssh and remote)
ensure_user() { # NAME
  if ! getent passwd "$1" >/dev/null; then
    useradd -m -d "/home/$1" -s /bin/sh -c "ir test user" "$1"
    log "user $1 created"
  fi
  # "*": no password login possible, but NOT locked ("!"), which UsePAM no would refuse
  usermod -s /bin/sh -p '*' "$1"
  [ -d "/home/$1" ] || { mkdir -p "/home/$1"; chown "$1:" "/home/$1"; }
}
write_sudoers() { # FILE LINE
  if [ "$(cat "$1" 2>/dev/null)" != "$2" ]; then
    printf '%s\n' "$2" > "$1.tmp"; chmod 440 "$1.tmp"
    visudo -cqf "$1.tmp" || { rm -f "$1.tmp"; die "visudo rejected $1"; }
    mv "$1.tmp" "$1"
  fi
}
if want ssh || want remote; then
  T=$(now)
  mkdir -p "$SSH_DIR" "$AK_DIR" /run/sshd
  chmod 755 "$SSH_DIR" "$AK_DIR" /run/sshd   # /run/sshd: compiled-in privsep dir
  ensure_user "$SSH_USER"
  ensure_user "$NOSUDO_USER"
  mkdir -p /etc/sudoers.d
  # env_keep: the docker of this "remote host" is the test dockerd (DOCKER_HOST from the sshd's SetEnv
  # below); sudo's env_reset would drop it, and `ir --host ... --sudo` runs `sudo -n -- env ... docker`
  write_sudoers "$SUDOERS" "$SSH_USER ALL=(ALL) NOPASSWD: ALL
Defaults:$SSH_USER env_keep += \"DOCKER_HOST DOCKER_CONFIG\""
  write_sudoers "$SUDOERS_NOSUDO" "$NOSUDO_USER ALL=(ALL) ALL"
  [ -f "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C ir-test-user -f "$SSH_DIR/id_ed25519" </dev/null
  chmod 600 "$SSH_DIR/id_ed25519"
  # per-user files (sshd reads them as the user: each must be readable by its user)
  for u in root "$SSH_USER" "$NOSUDO_USER"; do
    cp "$SSH_DIR/id_ed25519.pub" "$AK_DIR/$u.tmp"
    chown "$u:" "$AK_DIR/$u.tmp"; chmod 600 "$AK_DIR/$u.tmp"; mv "$AK_DIR/$u.tmp" "$AK_DIR/$u"
  done
  timing users-keys "$T"
fi

write_sshd_config() { # FILE PORT LISTEN HOSTKEY PIDFILE [EXTRA_LINES]
  cat > "$1.tmp" <<EOF
# ir test sshd (generated by test/services/start.sh)
Port $2
ListenAddress $3
HostKey $4
PidFile $5
AuthorizedKeysFile .ssh/authorized_keys $AK_DIR/%u
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# STATE_DIR usually lives under /tmp (mode 1777): StrictModes yes would refuse the keys
StrictModes no
LogLevel VERBOSE
X11Forwarding no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  [ -z "${6:-}" ] || printf '%s\n' "$6" >> "$1.tmp"
  /usr/sbin/sshd -t -f "$1.tmp" || die "sshd -t rejected $1"
  if cmp -s "$1.tmp" "$1"; then rm -f "$1.tmp"; CONFIG_CHANGED=0; else mv "$1.tmp" "$1"; CONFIG_CHANGED=1; fi
}
reload_sshd() { # NAME PIDFILE: SIGHUP (sshd re-execs with the same pid and rewrites its pid file)
  local pid; pid=$(cat "$2")
  kill -HUP "$pid"
  sleep 0.2
  wait_for 5 test -s "$2" || die "$1 (pid $pid) did not come back after SIGHUP"
  log "$1 already running (pid $pid), reloaded its changed config"
}

# ---------------------------------------------------------------- sshd (local)
if want ssh; then
  T=$(now)
  [ -f "$SSH_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C ir-test-hostkey -f "$SSH_DIR/ssh_host_ed25519_key" </dev/null
  # with docker: every session on this sshd sees the test dockerd as "the host's docker", so that
  # `ir isolate --host deploy@127.0.0.1:2222 --sudo` drives it (sudoers keeps the two variables)
  SSH_EXTRA=
  want docker && SSH_EXTRA="SetEnv DOCKER_HOST=unix://$DK_DIR/docker.sock DOCKER_CONFIG=$DK_DIR/config"
  write_sshd_config "$SSH_DIR/sshd_config" "$SSH_PORT" 127.0.0.1 "$SSH_DIR/ssh_host_ed25519_key" "$SSH_DIR/sshd.pid" "$SSH_EXTRA"
  if pid_ok "$SSH_DIR/sshd.pid" "$SSH_DIR/sshd_config"; then
    if [ $CONFIG_CHANGED = 1 ]; then reload_sshd sshd "$SSH_DIR/sshd.pid"
    else log "sshd already running (pid $(cat "$SSH_DIR/sshd.pid"))"; fi
  else
    port_listening 127.0.0.1 "$SSH_PORT" && die "127.0.0.1:$SSH_PORT is taken by another process (stop it, or set IR_SSH_PORT)"
    rm -f "$SSH_DIR/sshd.pid"
    # absolute -f path: sshd re-execs itself after chdir / (SIGHUP would die silently otherwise)
    /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$SSH_DIR/sshd.log" </dev/null >/dev/null 2>&1 \
      || { tail -5 "$SSH_DIR/sshd.log" >&2; die "sshd failed to start"; }
    wait_for 10 port_listening 127.0.0.1 "$SSH_PORT" || { tail -5 "$SSH_DIR/sshd.log" >&2; die "sshd did not listen on 127.0.0.1:$SSH_PORT"; }
    wait_for 5 test -s "$SSH_DIR/sshd.pid" || true
    log "sshd started (pid $(cat "$SSH_DIR/sshd.pid" 2>/dev/null)) on 127.0.0.1:$SSH_PORT"
  fi
  timing sshd "$T"
fi

# ---------------------------------------------------------------- fail2ban
if want fail2ban; then
  T=$(now)
  mkdir -p "$F2B_DIR"
  F2B_SOCK=$F2B_DIR/fail2ban.sock
  if pid_ok "$F2B_DIR/fail2ban.pid" "$F2B_SOCK" && fail2ban-client -s "$F2B_SOCK" ping >/dev/null 2>&1; then
    log "fail2ban already running (pid $(cat "$F2B_DIR/fail2ban.pid"))"
  else
    pid_ok "$F2B_DIR/fail2ban.pid" "$F2B_SOCK" && die "fail2ban pid $(cat "$F2B_DIR/fail2ban.pid") alive but not answering; run test/services/stop.sh first"
    # fresh state on every (re)start: bans persisted in the DB would come back
    rm -rf "${F2B_DIR:?}/etc" "$F2B_DIR/fail2ban.sqlite3" "$F2B_SOCK" "$F2B_DIR/fail2ban.pid" "$F2B_DIR"/banned*.txt
    cp -a /etc/fail2ban "$F2B_DIR/etc"
    # Debian's jail.d/defaults-debian.conf enables sshd on the real paths: drop it
    rm -f "$F2B_DIR"/etc/jail.d/* "$F2B_DIR/etc/jail.local" "$F2B_DIR"/etc/fail2ban.d/*
    : > "$F2B_DIR/auth.log"; : > "$F2B_DIR/recidive.log"
    cat > "$F2B_DIR/etc/fail2ban.local" <<EOF
[Definition]
loglevel = INFO
logtarget = $F2B_DIR/fail2ban.log
syslogsocket = auto
socket = $F2B_SOCK
pidfile = $F2B_DIR/fail2ban.pid
dbfile = $F2B_DIR/fail2ban.sqlite3
allowipv6 = auto
EOF
    cat > "$F2B_DIR/etc/jail.local" <<EOF
[DEFAULT]
ignoreself = false
ignoreip =
backend = polling
usedns = no
# never touch the real firewall: every action is "dummy" (appends to a file)
banaction = dummy
banaction_allports = dummy
bantime = 1h
findtime = 10m
maxretry = 3

[sshd]
enabled = true
port = ssh
filter = sshd
backend = polling
logpath = $F2B_DIR/auth.log
action = dummy[target="$F2B_DIR/banned.txt"]

[recidive-test]
enabled = true
filter = recidive[_jailname="recidive-test"]
backend = polling
logpath = $F2B_DIR/recidive.log
action = dummy[target="$F2B_DIR/banned-recidive.txt"]
EOF
    fail2ban-client -c "$F2B_DIR/etc" -t >/dev/null 2>&1 \
      || { fail2ban-client -c "$F2B_DIR/etc" -t >&2 || true; die "fail2ban config test failed ($F2B_DIR/etc)"; }
    fail2ban-client -c "$F2B_DIR/etc" -x start </dev/null >>"$F2B_DIR/client.log" 2>&1 \
      || { tail -5 "$F2B_DIR/client.log" >&2; die "fail2ban failed to start (see $F2B_DIR/fail2ban.log)"; }
    wait_for 15 fail2ban-client -s "$F2B_SOCK" ping || { tail -5 "$F2B_DIR/fail2ban.log" >&2; die "fail2ban did not answer ping"; }
    log "fail2ban started (pid $(cat "$F2B_DIR/fail2ban.pid"))"
  fi
  jails=$(fail2ban-client -s "$F2B_SOCK" status 2>/dev/null | sed -n 's/.*Jail list:[[:space:]]*//p')
  [ "$jails" = "recidive-test, sshd" ] || [ "$jails" = "sshd, recidive-test" ] || die "fail2ban jails are '$jails', expected sshd and recidive-test"
  setenv IR_F2B_SOCKET "$F2B_SOCK"
  setenv IR_F2B_CONF_DIR "$F2B_DIR/etc"
  setenv IR_F2B_PID "$F2B_DIR/fail2ban.pid"
  setenv IR_F2B_DB "$F2B_DIR/fail2ban.sqlite3"
  setenv IR_F2B_JAIL sshd
  setenv IR_F2B_LOG "$F2B_DIR/auth.log"
  setenv IR_F2B_BANNED "$F2B_DIR/banned.txt"
  setenv IR_F2B_RECIDIVE_JAIL recidive-test
  setenv IR_F2B_RECIDIVE_LOG "$F2B_DIR/recidive.log"
  setenv IR_F2B_RECIDIVE_BANNED "$F2B_DIR/banned-recidive.txt"
  setenv IR_F2B_SERVER_LOG "$F2B_DIR/fail2ban.log"
  timing fail2ban "$T"
fi

# ---------------------------------------------------------------- docker
ensure_compose_v2() { # prints the path of a compose v2 binary (Debian trixie's, extracted, not installed)
  local bin=$CACHE_DIR/docker-compose-v2 alt
  if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then echo "$bin"; return 0; fi
  mkdir -p "$CACHE_DIR"; alt=$(mktemp -d "$CACHE_DIR/apt.XXXXXX")
  mkdir -p "$alt/lists/partial" "$alt/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" > "$alt/sources.list"
  # private sources list and lists dir: the system's apt config and state stay untouched
  local o=(-o "Dir::Etc::SourceList=$alt/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$alt/lists" -o "Dir::Cache=$alt" -o APT::Sandbox::User=root -q)
  if apt-get "${o[@]}" update >"$alt/log" 2>&1 \
     && (cd "$alt" && apt-get "${o[@]}" download docker-compose >>"$alt/log" 2>&1) \
     && dpkg-deb -x "$alt"/docker-compose_*.deb "$alt/x" \
     && "$alt/x/usr/libexec/docker/cli-plugins/docker-compose" version >/dev/null 2>&1; then
    install -m 755 "$alt/x/usr/libexec/docker/cli-plugins/docker-compose" "$bin"
    rm -rf "$alt"; echo "$bin"; return 0
  fi
  cat "$alt/log" >> "$STATE/compose-v2-download.log" 2>/dev/null || true
  rm -rf "$alt"; return 1
}

if want docker; then
  T=$(now)
  DOCKER_SOCK=$DK_DIR/docker.sock
  EXEC_ROOT=$DK_DIR/run
  export DOCKER_HOST=unix://$DOCKER_SOCK DOCKER_CONFIG=$DK_DIR/config
  mkdir -p "$DK_DIR/data" "$EXEC_ROOT" "$DOCKER_CONFIG/cli-plugins" "$STATE/compose"
  [ -f "$DOCKER_CONFIG/config.json" ] || echo '{}' > "$DOCKER_CONFIG/config.json"
  # own daemon.json: ignores /etc/docker/daemon.json and moves the libtrust key
  # that dockerd 20.10 otherwise writes to /etc/docker/key.json
  printf '{\n  "deprecated-key-path": "%s"\n}\n' "$DK_DIR/key.json" > "$DK_DIR/daemon.json"
  if pid_ok "$DK_DIR/dockerd.pid" "$DK_DIR/data" && timeout 10 docker info >/dev/null 2>&1; then
    log "dockerd already running (pid $(cat "$DK_DIR/dockerd.pid"))"
  else
    pid_ok "$DK_DIR/dockerd.pid" "$DK_DIR/data" \
      && die "dockerd pid $(cat "$DK_DIR/dockerd.pid") alive but not answering; run test/services/stop.sh first"
    rm -f "$DK_DIR/dockerd.pid" "$DOCKER_SOCK"
    # own network namespace: bridges, iptables/NAT rules and container traffic stay inside it
    claim_netns "$DOCKER_NETNS"
    [ -z "$(ip netns pids "$DOCKER_NETNS" 2>/dev/null)" ] \
      || die "netns $DOCKER_NETNS still holds processes of an earlier dockerd (crashed?): run test/services/stop.sh $STATE first"
    # nsenter --net, NOT `ip netns exec` (that remounts /sys and hides /sys/fs/cgroup)
    setsid nsenter --net="/run/netns/$DOCKER_NETNS" -- /usr/sbin/dockerd \
      --config-file "$DK_DIR/daemon.json" \
      --data-root "$DK_DIR/data" --exec-root "$EXEC_ROOT" --pidfile "$DK_DIR/dockerd.pid" \
      -H "unix://$DOCKER_SOCK" --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs \
      --bip 10.213.0.1/24 --default-address-pool base=10.214.0.0/16,size=24 \
      --cgroup-parent /irtest-docker --shutdown-timeout 3 \
      </dev/null >>"$DK_DIR/dockerd.log" 2>&1 &
    wait_for 60 docker info || { tail -20 "$DK_DIR/dockerd.log" >&2; die "dockerd did not come up (log: $DK_DIR/dockerd.log)"; }
    log "dockerd started (pid $(cat "$DK_DIR/dockerd.pid")) in netns $DOCKER_NETNS"
  fi
  timing dockerd "$T"

  # image built offline from busybox-static (no registry)
  T=$(now)
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    ROOTFS=$(mktemp -d "$DK_DIR/rootfs.XXXXXX")
    mkdir -p "$ROOTFS"/{bin,etc,tmp,www,root,proc,sys,dev,var/log}
    chmod 1777 "$ROOTFS/tmp"
    cp /bin/busybox "$ROOTFS/bin/busybox"
    ldd "$ROOTFS/bin/busybox" >/dev/null 2>&1 && die "/bin/busybox is dynamically linked (install busybox-static)"
    for a in $("$ROOTFS/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$ROOTFS/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOTFS/etc/group"
    echo '<h1>ir-test app</h1>' > "$ROOTFS/www/index.html"
    tar --numeric-owner -C "$ROOTFS" -cf - . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' \
      -m 'ir test busybox image' - "$IMAGE" >/dev/null
    rm -rf "$ROOTFS"
    log "image $IMAGE imported"
  fi
  timing image "$T"

  # local registry in dockerd's netns: 127.0.0.1:5000 there is not the host's loopback
  T=$(now)
  mkdir -p "$RG_DIR/data"
  cat > "$RG_DIR/config.yml.tmp" <<EOF
# ir test registry (generated by test/services/start.sh)
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $RG_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  mv "$RG_DIR/config.yml.tmp" "$RG_DIR/config.yml"
  reg_up() { nsenter --net="/run/netns/$DOCKER_NETNS" -- curl -fsS -o /dev/null "http://$REGISTRY/v2/"; }
  if pid_ok "$RG_DIR/registry.pid" "$RG_DIR/config.yml" \
     && [ "$(readlink "/proc/$(tr -dc '0-9' < "$RG_DIR/registry.pid")/ns/net")" = "$(readlink "/proc/$(tr -dc '0-9' < "$DK_DIR/dockerd.pid")/ns/net")" ] \
     && reg_up; then
    log "registry already running (pid $(cat "$RG_DIR/registry.pid"))"
  else
    pid_ok "$RG_DIR/registry.pid" "$RG_DIR/config.yml" \
      && die "registry pid $(cat "$RG_DIR/registry.pid") alive but not answering in netns $DOCKER_NETNS; run test/services/stop.sh first"
    rm -f "$RG_DIR/registry.pid"
    # sh writes its own pid, then execs nsenter, which execs the registry: same pid
    setsid sh -c 'echo $$ > "$1"; exec nsenter --net="$2" -- /usr/bin/docker-registry serve "$3"' sh \
      "$RG_DIR/registry.pid" "/run/netns/$DOCKER_NETNS" "$RG_DIR/config.yml" \
      </dev/null >>"$RG_DIR/registry.log" 2>&1 &
    wait_for 20 reg_up || { tail -20 "$RG_DIR/registry.log" >&2; die "registry did not answer on $REGISTRY in netns $DOCKER_NETNS"; }
    log "registry started (pid $(cat "$RG_DIR/registry.pid")) on $REGISTRY in netns $DOCKER_NETNS"
  fi
  timing registry "$T"

  T=$(now)
  REG_IMAGE=$REGISTRY/${IMAGE%%:*}
  docker tag "$IMAGE" "$REG_IMAGE:${IMAGE##*:}"
  docker push "$REG_IMAGE:${IMAGE##*:}" </dev/null >>"$RG_DIR/push.log" 2>&1 \
    || { tail -20 "$RG_DIR/push.log" >&2; die "docker push $REG_IMAGE:${IMAGE##*:} failed (log: $RG_DIR/push.log)"; }
  PINNED_IMAGE=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$REG_IMAGE:${IMAGE##*:}" \
    | grep -m1 -E "^$REG_IMAGE@sha256:[0-9a-f]{64}\$") || die "no RepoDigest for $REG_IMAGE after the push"
  log "image pushed: $PINNED_IMAGE"
  timing registry-push "$T"

  # compose: v2 plugin preferred, docker-compose v1 behind a shim as fallback
  T=$(now)
  COMPOSE_IMPL=
  if [ "$COMPOSE_WANT" != v1 ] && V2=$(ensure_compose_v2); then
    ln -sfn "$V2" "$DOCKER_CONFIG/cli-plugins/docker-compose"; COMPOSE_IMPL=v2
  elif [ "$COMPOSE_WANT" != v2 ]; then
    command -v docker-compose >/dev/null || apt_install docker-compose
    rm -f "$DOCKER_CONFIG/cli-plugins/docker-compose"
    cat > "$DOCKER_CONFIG/cli-plugins/docker-compose" <<'EOF'
#!/bin/sh
# docker CLI plugin shim: `docker compose ...` -> Debian bookworm's docker-compose v1
if [ "$1" = docker-cli-plugin-metadata ]; then
  printf '{"SchemaVersion":"0.1.0","Vendor":"ir-test shim","Version":"%s","ShortDescription":"docker-compose v1 via shim"}\n' \
    "$(docker-compose version --short 2>/dev/null || echo 1)"
  exit 0
fi
[ "$1" = compose ] && shift
exec docker-compose "$@"
EOF
    chmod 755 "$DOCKER_CONFIG/cli-plugins/docker-compose"; COMPOSE_IMPL=v1
  else
    die "compose v2 could not be fetched (IR_COMPOSE=v2; see $STATE/compose-v2-download.log)"
  fi
  COMPOSE_VERSION=$(docker compose version 2>/dev/null | head -1)
  COMPOSE_DIR=$STATE/compose
  COMPOSE_FILE_PATH=$COMPOSE_DIR/compose.yaml
  {
    # v1 rejects a top-level `name:`; -p irtest is passed explicitly anyway
    [ "$COMPOSE_IMPL" = v2 ] && echo "name: $PROJECT"
    cat <<'EOF'
services:
  app:
    image: ir-busybox:test
    init: true
    command: ["sh", "-c", "echo app starting; date > /tmp/started; mkdir -p /var/log/app; echo boot >> /var/log/app/app.log; exec httpd -f -v -p 8080 -h /www"]
    restart: unless-stopped
    depends_on:
      - db
    networks:
      - front
      - back
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 3
      start_period: 10s
    labels:
      ir.test.role: app
  db:
    image: ir-busybox:test
    command: ["sh", "-c", "trap 'echo db stopping; exit 0' TERM INT; echo db ready; i=0; while :; do i=$$((i+1)); echo db tick $$i; sleep 1 & wait $$!; done"]
    environment:
      DB_NAME: irtest
    networks:
      - back
    labels:
      ir.test.role: db
networks:
  front: {}
  back:
    internal: true
EOF
  } > "$COMPOSE_FILE_PATH.tmp"
  mv "$COMPOSE_FILE_PATH.tmp" "$COMPOSE_FILE_PATH"
  (cd "$COMPOSE_DIR" && docker compose -p "$PROJECT" -f "$COMPOSE_FILE_PATH" up -d --remove-orphans </dev/null >>"$DK_DIR/compose-up.log" 2>&1) \
    || { tail -20 "$DK_DIR/compose-up.log" >&2; die "docker compose up failed (log: $DK_DIR/compose-up.log)"; }
  n=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter status=running | wc -l)
  [ "$n" = 2 ] || die "expected 2 running containers in compose project $PROJECT, got $n"
  app_healthy() {
    [ "$(docker inspect --format '{{.State.Health.Status}}' \
        "$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=app)")" = healthy ]
  }
  wait_for 30 app_healthy || die "compose service app did not become healthy"
  log "compose project $PROJECT up, app healthy ($COMPOSE_IMPL: $COMPOSE_VERSION)"
  setenv DOCKER_HOST "unix://$DOCKER_SOCK"
  setenv DOCKER_CONFIG "$DOCKER_CONFIG"
  setenv IR_COMPOSE_PROJECT "$PROJECT"
  setenv IR_COMPOSE_FILE "$COMPOSE_FILE_PATH"
  setenv IR_COMPOSE_DIR "$COMPOSE_DIR"
  setenv IR_COMPOSE_IMPL "$COMPOSE_IMPL"
  setenv IR_COMPOSE_VERSION "$COMPOSE_VERSION"
  setenv IR_DOCKER_IMAGE "$IMAGE"
  setenv IR_DOCKER_NETNS "$DOCKER_NETNS"
  setenv IR_REGISTRY "$REGISTRY"
  setenv IR_REGISTRY_PID "$RG_DIR/registry.pid"
  setenv IR_PINNED_IMAGE "$PINNED_IMAGE"
  setenv IR_DOCKERD_PID "$DK_DIR/dockerd.pid"
  timing compose "$T"
fi

# ---------------------------------------------------------------- remote host in a netns
if want remote; then
  T=$(now)
  mkdir -p "$RM_DIR"; chmod 700 "$RM_DIR"
  if ip -4 addr show | grep -q "inet 10\.200\.0\." && ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    die "10.200.0.x is already in use on this machine"
  fi
  claim_netns "$REMOTE_NETNS"
  if ip link show "$VETH_HOST" >/dev/null 2>&1; then
    o=$(link_owner "$VETH_HOST")
    [ -z "$o" ] || [ "$o" = "$STATE" ] || die "veth $VETH_HOST belongs to $o: stop that instance first"
  else
    ip link add "$VETH_HOST" type veth peer name "$VETH_REMOTE" netns "$REMOTE_NETNS"
  fi
  ip link set "$VETH_HOST" alias "$STATE"
  ip addr replace "$REMOTE_HOST_IP/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  ip -n "$REMOTE_NETNS" addr replace "$REMOTE_IP/30" dev "$VETH_REMOTE"
  ip -n "$REMOTE_NETNS" link set "$VETH_REMOTE" up
  ip route replace unreachable "$SAFETY_NET"
  ip route get "$REMOTE_IP" | grep -q "dev $VETH_HOST" || die "route to $REMOTE_IP does not use $VETH_HOST"

  [ -f "$RM_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C ir-remote-hostkey -f "$RM_DIR/ssh_host_ed25519_key" </dev/null
  write_sshd_config "$RM_DIR/sshd_config" 22 "$REMOTE_IP" "$RM_DIR/ssh_host_ed25519_key" "$RM_DIR/sshd.pid"
  # its own /etc/hosts (bind-mounted in the private mount ns of `ip netns exec`), so
  # that sudo on the "remote" can resolve its hostname without touching the real file
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tir-remote\n%s\tir-remote-veth\n' "$REMOTE_IP" > "$RM_DIR/hosts"
  chmod 644 "$RM_DIR/hosts"
  if pid_ok "$RM_DIR/sshd.pid" "$RM_DIR/sshd_config"; then
    if [ $CONFIG_CHANGED = 1 ]; then reload_sshd "remote sshd" "$RM_DIR/sshd.pid"
    else log "remote sshd already running (pid $(cat "$RM_DIR/sshd.pid"))"; fi
  else
    rm -f "$RM_DIR/sshd.pid"
    ip netns exec "$REMOTE_NETNS" unshare --uts sh -c \
      "mount --bind '$RM_DIR/hosts' /etc/hosts && hostname ir-remote && exec /usr/sbin/sshd -f '$RM_DIR/sshd_config' -E '$RM_DIR/sshd.log'" \
      </dev/null >>"$RM_DIR/start.log" 2>&1 || { tail -5 "$RM_DIR/start.log" "$RM_DIR/sshd.log" >&2 2>/dev/null; die "remote sshd failed to start"; }
    wait_for 10 test -s "$RM_DIR/sshd.pid" || die "remote sshd did not start (see $RM_DIR/sshd.log)"
    log "remote sshd started (pid $(cat "$RM_DIR/sshd.pid")) at $REMOTE_IP:22 in netns $REMOTE_NETNS"
  fi
  timing remote "$T"
fi

# ---------------------------------------------------------------- known_hosts, ssh_config, verification
if want ssh || want remote; then
  T=$(now)
  KH=$SSH_DIR/known_hosts
  : > "$KH.tmp"
  want ssh && echo "[127.0.0.1]:$SSH_PORT,[localhost]:$SSH_PORT $(cut -d' ' -f1,2 "$SSH_DIR/ssh_host_ed25519_key.pub")" >> "$KH.tmp"
  want remote && echo "$REMOTE_IP $(cut -d' ' -f1,2 "$RM_DIR/ssh_host_ed25519_key.pub")" >> "$KH.tmp"
  cp "$KH.tmp" "$KH.hashed.tmp"
  ssh-keygen -q -H -f "$KH.hashed.tmp" >/dev/null 2>&1
  rm -f "$KH.hashed.tmp.old"
  mv "$KH.tmp" "$KH"; mv "$KH.hashed.tmp" "$KH.hashed"
  chmod 644 "$KH" "$KH.hashed"
  cat > "$SSH_DIR/ssh_config.tmp" <<EOF
# ir test client config (generated by test/services/start.sh)
Host ir-local
  HostName 127.0.0.1
  Port $SSH_PORT
  User $SSH_USER
Host ir-remote
  HostName $REMOTE_IP
  Port 22
  User $SSH_USER
Host *
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $KH
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
EOF
  mv "$SSH_DIR/ssh_config.tmp" "$SSH_DIR/ssh_config"; chmod 644 "$SSH_DIR/ssh_config"
  if want ssh; then
    out=$(ssh -F "$SSH_DIR/ssh_config" ir-local 'id -un; sudo -n id -u' </dev/null 2>&1 | tr '\n' ' ') \
      || die "ssh $SSH_USER@127.0.0.1:$SSH_PORT failed: $out (see $SSH_DIR/sshd.log)"
    [ "$out" = "$SSH_USER 0 " ] || die "ssh ir-local 'id -un; sudo -n id -u' printed '$out', expected '$SSH_USER 0'"
    log "ssh ir-local ok ($SSH_USER, sudo -n works)"
    if want docker; then
      out=$(ssh -F "$SSH_DIR/ssh_config" ir-local 'sudo -n docker ps -q --filter label=com.docker.compose.project=irtest | wc -l' </dev/null 2>&1) \
        || die "ssh ir-local 'sudo -n docker ps' failed: $out"
      [ "$out" = 2 ] || die "ssh ir-local 'sudo -n docker ps' sees '$out' containers of irtest, expected 2 (SetEnv DOCKER_HOST / sudoers env_keep)"
      log "ssh ir-local: sudo -n docker reaches the test dockerd"
    fi
  fi
  if want remote; then
    out=$(ssh -F "$SSH_DIR/ssh_config" ir-remote hostname </dev/null 2>&1) || die "ssh to $REMOTE_IP failed: $out (see $RM_DIR/sshd.log)"
    [ "$out" = ir-remote ] || die "ssh ir-remote hostname printed '$out'"
    log "ssh ir-remote ok (hostname=$out)"
  fi
  setenv IR_SSH_USER "$SSH_USER"
  setenv IR_SSH_NOSUDO_USER "$NOSUDO_USER"
  setenv IR_SSH_KEY "$SSH_DIR/id_ed25519"
  setenv IR_SSH_PUBKEY "$SSH_DIR/id_ed25519.pub"
  setenv IR_SSH_AUTHORIZED_KEYS_DIR "$AK_DIR"
  setenv IR_KNOWN_HOSTS "$KH"
  setenv IR_KNOWN_HOSTS_HASHED "$KH.hashed"
  setenv IR_SSH_CONFIG "$SSH_DIR/ssh_config"
  if want ssh; then
    setenv IR_SSH_HOST 127.0.0.1
    setenv IR_SSH_PORT "$SSH_PORT"
    setenv IR_SSH_ALIAS ir-local
    setenv IR_SSHD_CONFIG "$SSH_DIR/sshd_config"
    setenv IR_SSHD_PID "$SSH_DIR/sshd.pid"
    setenv IR_SSHD_LOG "$SSH_DIR/sshd.log"
  fi
  if want remote; then
    setenv IR_REMOTE_HOST "$REMOTE_IP"
    setenv IR_REMOTE_PORT 22
    setenv IR_REMOTE_ALIAS ir-remote
    setenv IR_REMOTE_NETNS "$REMOTE_NETNS"
    setenv IR_REMOTE_VETH "$VETH_HOST"
    setenv IR_REMOTE_SSHD_CONFIG "$RM_DIR/sshd_config"
    setenv IR_REMOTE_SSHD_PID "$RM_DIR/sshd.pid"
    setenv IR_REMOTE_SSHD_LOG "$RM_DIR/sshd.log"
  fi
  timing ssh-verify "$T"
fi

# ---------------------------------------------------------------- journal writer (a tool, not a service)
# systemd-journal-remote turns export-format text into a real journal file that journalctl reads. It is
# extracted from its package into the cache, not installed: its package would enable a listening socket.
ensure_journal_remote() { # prints the binary's path
  local bin=$CACHE_DIR/systemd-journal-remote alt
  if [ -x "$bin" ] && "$bin" --help >/dev/null 2>&1; then echo "$bin"; return 0; fi
  mkdir -p "$CACHE_DIR"; alt=$(mktemp -d "$CACHE_DIR/jr.XXXXXX")
  # the system's package lists may predate the machine: refresh them once if the download fails
  if { (cd "$alt" && apt-get -q -o APT::Sandbox::User=root download systemd-journal-remote) >"$alt/log" 2>&1 \
       || { apt-get update -q && (cd "$alt" && apt-get -q -o APT::Sandbox::User=root download systemd-journal-remote); } >>"$alt/log" 2>&1; } \
     && dpkg-deb -x "$alt"/systemd-journal-remote_*.deb "$alt/x" \
     && "$alt/x/lib/systemd/systemd-journal-remote" --help >/dev/null 2>&1; then
    install -m 755 "$alt/x/lib/systemd/systemd-journal-remote" "$bin"
    rm -rf "$alt"; echo "$bin"; return 0
  fi
  cat "$alt/log" >> "$STATE/journal-remote-download.log" 2>/dev/null || true
  rm -rf "$alt"; return 1
}
T=$(now)
# not fatal: without it only the journal collection test fails, and says why
if JR=$(ensure_journal_remote); then setenv IR_JOURNAL_REMOTE "$JR"
else log "WARNING: systemd-journal-remote could not be fetched (see $STATE/journal-remote-download.log)"; fi
timing journal-remote "$T"

# ---------------------------------------------------------------- env.sh / env.json
json_str() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
{
  echo "# generated by test/services/start.sh at $(date -Is); source me"
  for k in "${ENV_NAMES[@]}"; do v=${ENV_VALS[$k]}; printf "export %s='%s'\n" "$k" "${v//\'/\'\\\'\'}"; done
} > "$STATE/env.sh.tmp"
{
  echo "{"
  i=0
  for k in "${ENV_NAMES[@]}"; do
    i=$((i + 1)); sep=,; [ $i = ${#ENV_NAMES[@]} ] && sep=
    printf '  %s: %s%s\n' "$(json_str "$k")" "$(json_str "${ENV_VALS[$k]}")" "$sep"
  done
  echo "}"
} > "$STATE/env.json.tmp"
mv "$STATE/env.sh.tmp" "$STATE/env.sh"; mv "$STATE/env.json.tmp" "$STATE/env.json"
chmod 644 "$STATE/env.sh" "$STATE/env.json"

timing total "$T_ALL"
log "ready: source $STATE/env.sh (or read $STATE/env.json)"
