#!/usr/bin/env bash
# Times `ir playbook run hygiene` on 1, 2, 4 and 8 hosts (copies of the test sshd on their own ports),
# once directly and once behind bench/fleet-proxy.mjs with 50 ms of added round trip per host, with
# ir's own CPU (user + system, every step's process) divided by the number of hosts: at scale the
# responder's workstation is the limit.
# Needs `npm run build` and the test services (/tmp/ir-svc). COUNTS="1 2 4 8" RTT=50 MODES="direct proxied"
# override; IR_CLI=/path/to/bin/run.js times another build (e.g. a copy with oclif.manifest.json).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
COUNTS=${COUNTS:-"1 2 4 8"}
RTT=${RTT:-50}
MODES=${MODES:-"direct proxied"}
IR_CLI=${IR_CLI:-bin/run.js}
W=$(mktemp -d /tmp/ir-bench-fleet.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$W"/sshd_*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
env_of() { node -e "process.stdout.write(require('$STATE/env.json')['$1'])"; }
KEY=$(env_of IR_SSH_KEY); SOCK=$(env_of IR_F2B_SOCKET); CFG=$(env_of IR_SSHD_CONFIG)
HOSTKEY=$(dirname "$CFG")/ssh_host_ed25519_key
PUB=$(cut -d' ' -f1,2 "$HOSTKEY.pub")
cp test/fixtures/authlog/compromise.log "$W/auth.log"; chmod 644 "$W/auth.log"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
: > "$W/known_hosts"
DIRECT=(); PROXIED=()
for i in 1 2 3 4 5 6 7 8; do
  p=$(free_port)
  { echo "Port $p"; echo "ListenAddress 127.0.0.1"; echo "HostKey $HOSTKEY"; echo "PidFile $W/sshd_$p.pid"; grep -Ev '^\s*(Port|PidFile|HostKey|ListenAddress)\b' "$CFG"; } > "$W/sshd_$p.conf"
  /usr/sbin/sshd -f "$W/sshd_$p.conf" -E "$W/sshd_$p.log"
  q=$(free_port)
  node bench/fleet-proxy.mjs "$q" "$p" "$RTT" & PIDS+=($!)
  echo "[127.0.0.1]:$p $PUB" >> "$W/known_hosts"; echo "[127.0.0.1]:$q $PUB" >> "$W/known_hosts"
  DIRECT+=("$p"); PROXIED+=("$q")
done
sleep 1
run() { # mode count
  local inv="$W/inv-$1-$2" ports
  if [ "$1" = direct ]; then ports=("${DIRECT[@]}"); else ports=("${PROXIED[@]}"); fi
  : > "$inv"
  for ((i = 0; i < $2; i++)); do echo "h$i ansible_host=127.0.0.1 ansible_port=${ports[$i]} ansible_user=deploy" >> "$inv"; done
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$W/time-$1-$2" node "$IR_CLI" playbook run hygiene --hosts "$inv" -i "$KEY" --known-hosts "$W/known_hosts" --sudo --concurrency 8 \
    --set "auth_log=$W/auth.log" --set "f2b_socket=$SOCK" --case "$W/cases/$1-$2" --json > "$W/out-$1-$2.json" || true
  t1=$(date +%s.%N)
  node -e "const r=require('$W/out-$1-$2.json'); const bad=r.hosts.filter(h=>h.status!=='findings'&&h.status!=='ok'); if(bad.length){console.error('hosts not ok:',JSON.stringify(bad.map(h=>[h.label,h.status,h.error])));process.exit(1)}"
  echo "$(echo "scale=1; ($t1 - $t0) / 1" | bc) $(tail -1 "$W/time-$1-$2" | awk -v n="$2" '{printf "%.1f", ($1 + $2) / n}')"
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| hosts | direct (s) | ×1 host | ir CPU / host (s) | +${RTT} ms RTT (s) | ×1 host | ir CPU / host (s) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
d1=""; p1=""
for n in $COUNTS; do
  d="- -"; p="- -"
  case " $MODES " in *" direct "*) d=$(run direct "$n") ;; esac
  case " $MODES " in *" proxied "*) p=$(run proxied "$n") ;; esac
  read -r dw dc <<< "$d"; read -r pw pc <<< "$p"
  [ -z "$d1" ] && d1=$dw && p1=$pw
  ratio() { [ "$1" = - ] || [ "$2" = - ] && echo - || echo "scale=2; $1 / $2" | bc; }
  echo "| $n | $dw | $(ratio "$dw" "$d1") | $dc | $pw | $(ratio "$pw" "$p1") | $pc |"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
