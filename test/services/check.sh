#!/usr/bin/env bash
# test/services/check.sh STATE_DIR
# Smoke test of the services started by test/services/start.sh. Prints a PASS or
# FAIL line per check and ends with "N passed, N failed" (exit 1 if any failed).
# It changes state, then restores it: bans/unbans IPs in fail2ban, runs compose
# down + up (and waits for app to be healthy again).
set -uo pipefail
STATE=$(cd "${1:?usage: $0 STATE_DIR}" && pwd -P) || exit 2
[ -f "$STATE/env.sh" ] || { echo "no $STATE/env.sh: run test/services/start.sh first" >&2; exit 2; }
# shellcheck disable=SC1091
. "$STATE/env.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION CMD... : PASS if CMD exits 0
  local d=$1 out; shift
  if out=$("$@" 2>&1); then ok "$d"; else bad "$d: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
has() { case " $IR_SERVICES " in *" $1 "*) return 0;; *) return 1;; esac; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }
fw_state() { { nft list ruleset 2>/dev/null; iptables-save 2>/dev/null; iptables-legacy-save 2>/dev/null; } | grep -v '^#' | md5sum; }
FW0=$(fw_state)
SSHC=(ssh -F "$IR_SSH_CONFIG")

if has ssh; then
  echo "=== ssh (127.0.0.1:$IR_SSH_PORT)"
  P=(ssh -F /dev/null -i "$IR_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes
     -o ConnectTimeout=5 -o GlobalKnownHostsFile=/dev/null -p "$IR_SSH_PORT")
  out=$("${P[@]}" -o UserKnownHostsFile="$IR_KNOWN_HOSTS" "$IR_SSH_USER@$IR_SSH_HOST" id -un </dev/null 2>&1)
  [ "$out" = "$IR_SSH_USER" ] && ok "ssh $IR_SSH_USER@$IR_SSH_HOST (plain known_hosts): $out" || bad "ssh plain known_hosts: $out"
  out=$("${P[@]}" -o UserKnownHostsFile="$IR_KNOWN_HOSTS_HASHED" "$IR_SSH_USER@$IR_SSH_HOST" true </dev/null 2>&1) \
    && ok "ssh with hashed known_hosts" || bad "ssh hashed known_hosts: $out"
  check "ssh-keygen -F finds [127.0.0.1]:$IR_SSH_PORT in hashed known_hosts" \
    ssh-keygen -F "[127.0.0.1]:$IR_SSH_PORT" -f "$IR_KNOWN_HOSTS_HASHED"
  out=$("${SSHC[@]}" ir-local 'sudo -n id -u' </dev/null 2>&1)
  [ "$out" = 0 ] && ok "ssh ir-local sudo -n id -u: $out" || bad "ssh ir-local sudo -n: $out"
  out=$("${SSHC[@]}" -l "$IR_SSH_NOSUDO_USER" ir-local 'sudo -n true' </dev/null 2>&1); rc=$?
  [ $rc != 0 ] && echo "$out" | grep -q 'a password is required' \
    && ok "$IR_SSH_NOSUDO_USER: sudo -n fails (rc=$rc): $out" || bad "$IR_SSH_NOSUDO_USER sudo -n: rc=$rc $out"
  out=$("${SSHC[@]}" -l root ir-local 'id -un' </dev/null 2>&1)
  [ "$out" = root ] && ok "root login with the key (setup only): $out" || bad "root login: $out"
  if has docker; then
    # the sshd's SetEnv DOCKER_HOST + sudoers env_keep: `sudo -n docker` over ssh is the test dockerd
    out=$("${SSHC[@]}" ir-local 'sudo -n docker compose version --short && sudo -n docker ps -q --filter label=com.docker.compose.project=irtest | wc -l' </dev/null 2>&1)
    [ "$(echo "$out" | tail -1)" = 2 ] && ok "ssh ir-local sudo -n docker: compose $(echo "$out" | head -1), 2 irtest containers" || bad "ssh ir-local sudo -n docker: $out"
  fi
  tmp=$(mktemp -d)
  echo "sftp payload $$" > "$tmp/up.txt"
  out=$(printf 'put %s /tmp/ir-check-sftp.%s\nget /tmp/ir-check-sftp.%s %s/down.txt\nrm /tmp/ir-check-sftp.%s\n' \
        "$tmp/up.txt" $$ $$ "$tmp" $$ | sftp -F "$IR_SSH_CONFIG" -b - ir-local 2>&1)
  cmp -s "$tmp/up.txt" "$tmp/down.txt" && ok "sftp put/get/rm via /usr/lib/openssh/sftp-server" || bad "sftp: $out"
  rm -rf "$tmp"
  out=$(/usr/sbin/sshd -T -f "$IR_SSHD_CONFIG" -C "user=$IR_SSH_USER,host=x,addr=127.0.0.1" 2>&1)
  echo "$out" | grep -qx "authorizedkeysfile .ssh/authorized_keys $IR_SSH_AUTHORIZED_KEYS_DIR/%u" \
    && ok "sshd -T: non-default authorizedkeysfile" || bad "sshd -T authorizedkeysfile: $(echo "$out" | grep authorizedkeys)"
  echo "$out" | grep -qx 'subsystem sftp /usr/lib/openssh/sftp-server' \
    && ok "sshd -T: subsystem sftp /usr/lib/openssh/sftp-server" || bad "sshd -T subsystem: $(echo "$out" | grep subsystem)"
  echo "$out" | grep -E '^(port|listenaddress|permitrootlogin|usepam|strictmodes|authorizedkeysfile|subsystem) ' | sed 's/^/  /'
fi

if has fail2ban; then
  echo "=== fail2ban"
  F=(fail2ban-client -s "$IR_F2B_SOCKET")
  out=$("${F[@]}" status 2>&1)
  echo "$out" | grep -q 'Number of jail:[[:space:]]*2' && echo "$out" | grep -q 'sshd' && echo "$out" | grep -q 'recidive-test' \
    && ok "two jails: $(echo "$out" | sed -n 's/.*Jail list:[[:space:]]*//p')" || bad "jails: $out"
  s="$("${F[@]}" get sshd maxretry) $("${F[@]}" get sshd findtime) $("${F[@]}" get sshd bantime)"
  [ "$s" = "3 600 3600" ] && ok "sshd jail maxretry/findtime/bantime = $s" || bad "sshd jail settings: $s"
  out=$("${F[@]}" get sshd logpath 2>&1)
  echo "$out" | grep -qF "$IR_F2B_LOG" && ok "sshd jail watches \$IR_F2B_LOG" || bad "logpath: $out"
  check "recidive-test jail answers status" "${F[@]}" status recidive-test
  ip=203.0.113.9; host=$(hostname)
  for _ in 1 2 3; do
    echo "$(date '+%b %e %H:%M:%S') $host sshd[4242]: Failed password for invalid user x from $ip port 22 ssh2" >> "$IR_F2B_LOG"
  done
  t0=$(date +%s.%N); banned=0
  for _ in $(seq 1 100); do "${F[@]}" status sshd 2>/dev/null | grep -q "Banned IP list:.*$ip" && { banned=1; break; }; sleep 0.1; done
  [ $banned = 1 ] && ok "$ip banned $(elapsed "$t0")s after 3 failed-login lines" || bad "$ip not banned after $(elapsed "$t0")s"
  grep -qx "+$ip" "$IR_F2B_BANNED" 2>/dev/null && ok "dummy action wrote +$ip to \$IR_F2B_BANNED" || bad "banned file: $(cat "$IR_F2B_BANNED" 2>&1)"
  out=$("${F[@]}" set sshd unbanip "$ip" 2>/dev/null); [ "$out" = 1 ] && ok "unbanip prints 1" || bad "unbanip printed '$out'"
  out=$("${F[@]}" set sshd unbanip "$ip" 2>/dev/null); rc=$?
  [ "$out" = 0 ] && [ $rc = 0 ] && ok "unbanip of an absent ip prints 0, exit 0" || bad "unbanip absent: '$out' rc=$rc"
  out=$("${F[@]}" status nosuchjail 2>/dev/null); rc=$?
  [ $rc = 255 ] && ok "unknown jail: exit 255 ($out)" || bad "unknown jail: '$out' rc=$rc"
  out=$(sqlite3 "$IR_F2B_DB" 'select name from jails order by name' 2>&1 | tr '\n' ' ')
  echo "$out" | grep -q 'recidive-test sshd' && ok "sqlite db lists jails: $out" || bad "db: $out"
  [ "$(fw_state)" = "$FW0" ] && ok "host iptables/nftables unchanged by ban/unban" || bad "host firewall changed"
  "${F[@]}" unban --all >/dev/null 2>&1 || true
fi

if has docker; then
  echo "=== docker + compose ($IR_COMPOSE_IMPL: $IR_COMPOSE_VERSION)"
  DC=(docker compose -p "$IR_COMPOSE_PROJECT" -f "$IR_COMPOSE_FILE")
  cd "$IR_COMPOSE_DIR" || exit 1
  out=$(docker version --format 'client {{.Client.Version}} / server {{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1) \
    && ok "docker version: $out" || bad "docker version: $out"
  running() { docker ps -q --filter "label=com.docker.compose.project=$IR_COMPOSE_PROJECT" --filter status=running | wc -l; }
  svc_id() { docker ps -q --filter "label=com.docker.compose.project=$IR_COMPOSE_PROJECT" --filter "label=com.docker.compose.service=$1"; }
  healthy() { [ "$(docker inspect --format '{{.State.Health.Status}}' "$(svc_id app)" 2>/dev/null)" = healthy ]; }
  wait_healthy() { local i; for i in $(seq 1 150); do healthy && return 0; sleep 0.2; done; return 1; }
  [ "$(running)" = 2 ] && ok "2 compose containers running" || bad "$(running) compose containers running"
  out=$(nsenter --net="/run/netns/$IR_DOCKER_NETNS" -- curl -fsS "http://$IR_REGISTRY/v2/_catalog" 2>&1) \
    && ok "registry $IR_REGISTRY in netns $IR_DOCKER_NETNS: $out" || bad "registry $IR_REGISTRY: $out"
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$IR_PINNED_IMAGE" 2>/dev/null | grep -qxF "$IR_PINNED_IMAGE" \
    && ok "RepoDigest $IR_PINNED_IMAGE" || bad "no RepoDigest $IR_PINNED_IMAGE"
  out=$("${DC[@]}" ps --format json 2>&1)
  [ "$IR_COMPOSE_IMPL" = v2 ] && { echo "$out" | grep -q '"Health":"healthy"' && ok "compose ps --format json: app healthy" || bad "compose ps json: $out"; }
  h=$(docker inspect --format '{{.State.Health.Status}}' "$(svc_id app)" 2>&1)
  [ "$h" = healthy ] && ok "app health: $h" || bad "app health: $h"
  out=$(docker network inspect --format '{{.Name}} internal={{.Internal}}' "${IR_COMPOSE_PROJECT}_front" "${IR_COMPOSE_PROJECT}_back" 2>&1 | tr '\n' ' ')
  [ "$out" = "${IR_COMPOSE_PROJECT}_front internal=false ${IR_COMPOSE_PROJECT}_back internal=true " ] \
    && ok "networks: $out" || bad "networks: $out"
  nets() { docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$(svc_id "$1")" 2>&1; }
  [ "$(nets app)" = "${IR_COMPOSE_PROJECT}_back ${IR_COMPOSE_PROJECT}_front " ] && ok "app on: $(nets app)" || bad "app networks: $(nets app)"
  [ "$(nets db)" = "${IR_COMPOSE_PROJECT}_back " ] && ok "db on: $(nets db)" || bad "db networks: $(nets db)"
  check "app reaches db by name over the internal network" "${DC[@]}" exec -T app ping -c1 -W2 db
  out=$("${DC[@]}" logs --no-color db 2>&1) && echo "$out" | grep -q 'db tick' && ok "compose logs db" || bad "compose logs: $out"
  t0=$(date +%s.%N)
  "${DC[@]}" down >/dev/null 2>&1 && ok "compose down in $(elapsed "$t0")s" || bad "compose down"
  [ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$IR_COMPOSE_PROJECT")" ] && ok "no containers after down" || bad "containers left after down"
  t0=$(date +%s.%N)
  "${DC[@]}" up -d >/dev/null 2>&1 && ok "compose up -d in $(elapsed "$t0")s" || bad "compose up -d"
  wait_healthy && ok "app healthy again $(elapsed "$t0")s after up" || bad "app not healthy after up"
  [ "$(fw_state)" = "$FW0" ] && ok "host firewall untouched by docker (rules live in netns $IR_DOCKER_NETNS)" || bad "host firewall changed by docker"
fi

if has remote; then
  echo "=== remote ($IR_REMOTE_HOST in netns $IR_REMOTE_NETNS)"
  ip route get "$IR_REMOTE_HOST" | grep -q "dev $IR_REMOTE_VETH" && ok "route to $IR_REMOTE_HOST only via $IR_REMOTE_VETH" || bad "route to $IR_REMOTE_HOST not via veth"
  out=$("${SSHC[@]}" ir-remote 'hostname; id -un; sudo -n id -u' </dev/null 2>&1 | tr '\n' ' ')
  [ "$out" = "ir-remote $IR_SSH_USER 0 " ] && ok "ssh ir-remote: $out" || bad "ssh ir-remote: $out"
  out=$(ssh -F /dev/null -i "$IR_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null \
        -o UserKnownHostsFile="$IR_KNOWN_HOSTS_HASHED" "$IR_SSH_USER@$IR_REMOTE_HOST" true </dev/null 2>&1) \
    && ok "ssh remote with hashed known_hosts" || bad "remote hashed: $out"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
