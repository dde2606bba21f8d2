#!/usr/bin/env bash
# `--host` at a distance (issue 16): persistence-scan, sweep, collect (triage) and `playbook run
# hygiene` as deploy --sudo against the test sshd, directly (0 ms) and behind bench/fleet-proxy.mjs
# adding 50 and 150 ms of round trip; each batched (the default) and per file (IR_BATCH=0, the reads of
# before). Prints wall time, the ratio to 0 ms, the round trips the ssh target counted
# (IR_TRACE_ROUNDTRIPS: channels, commands, sftp requests, batches) and ir's own CPU. Then hygiene on
# 8 hosts at 50 ms (bench/fleet.sh). Needs `npm run build` and the test services (/tmp/ir-svc).
# RTTS="0 50 150" MODES="batch per-file" COMMANDS="scan sweep collect hygiene" FLEET=1 RUNS=1 override.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
RTTS=${RTTS:-"0 50 150"}
MODES=${MODES:-"batch per-file"}
COMMANDS=${COMMANDS:-"scan sweep collect hygiene"}
FLEET=${FLEET:-1}
RUNS=${RUNS:-1}
IR_CLI=${IR_CLI:-bin/run.js}
W=$(mktemp -d /tmp/ir-bench-remote.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
env_of() { node -e "process.stdout.write(require('$STATE/env.json')['$1'] ?? '')"; }
KEY=$(env_of IR_SSH_KEY); PORT=$(env_of IR_SSH_PORT); KNOWN=$(env_of IR_KNOWN_HOSTS); SOCK=$(env_of IR_F2B_SOCKET)
PUB=$(grep -m1 "^\[127.0.0.1\]:$PORT" "$KNOWN" | cut -d' ' -f2,3)
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
cp "$KNOWN" "$W/known_hosts"
cp test/fixtures/authlog/compromise.log "$W/auth.log"; chmod 644 "$W/auth.log"
declare -A PORTS
for rtt in $RTTS; do
  if [ "$rtt" = 0 ]; then PORTS[$rtt]=$PORT; continue; fi
  p=$(free_port)
  node bench/fleet-proxy.mjs "$p" "$PORT" "$rtt" & PIDS+=($!)
  echo "[127.0.0.1]:$p $PUB" >> "$W/known_hosts"
  PORTS[$rtt]=$p
done
sleep 1

# one run: prints "wall cpu channels execs sftp batches" (the round trips summed over every ir process: a playbook's steps are children)
run() { # command rtt mode
  local cmd=$1 rtt=$2 mode=$3 host="deploy@127.0.0.1:${PORTS[$2]}" trace="$W/rt-$1-$2-$3.jsonl" out="$W/out-$1-$2-$3"
  rm -f "$trace"; rm -rf "$out"; mkdir -p "$out"
  local ssh=(--host "$host" -i "$KEY" --known-hosts "$W/known_hosts" --sudo) args
  case $cmd in
    scan) args=(persistence-scan "${ssh[@]}" --json) ;;
    sweep) args=(sweep "${ssh[@]}" --json) ;;
    collect) args=(collect "${ssh[@]}" --out "$out" --json) ;;
    hygiene) args=(playbook run hygiene "${ssh[@]}" --set "auth_log=$W/auth.log" --set "f2b_socket=$SOCK" --case "$out/case" --json) ;;
  esac
  local batch=1; [ "$mode" = per-file ] && batch=0
  local t0 t1
  t0=$(date +%s.%N)
  IR_BATCH=$batch IR_TRACE_ROUNDTRIPS=$trace /usr/bin/time -f '%U %S' -o "$W/time" node "$IR_CLI" "${args[@]}" > "$out/stdout.json" 2> "$out/stderr.txt" || true
  t1=$(date +%s.%N)
  node -e "
    const fs=require('fs'); const lines=fs.existsSync('$trace')?fs.readFileSync('$trace','utf8').trim().split('\n').filter(Boolean).map(JSON.parse):[];
    const s=k=>lines.reduce((n,l)=>n+(l[k]||0),0);
    const [u,sy]=fs.readFileSync('$W/time','utf8').trim().split('\n').pop().split(/\s+/).map(Number);
    console.log([($t1-$t0).toFixed(1),(u+sy).toFixed(1),s('channels'),s('execs'),s('sftp'),s('batches')].join(' '));"
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | mode | RTT | wall (s) | × 0 ms | channels | commands | sftp requests | batches | ir CPU (s) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for cmd in $COMMANDS; do
  for mode in $MODES; do
    base=""
    for rtt in $RTTS; do
      res=$(for _ in $(seq "$RUNS"); do run "$cmd" "$rtt" "$mode"; done | sort -n -k1 | median)
      read -r wall cpu ch ex sf ba <<< "$res"
      [ -z "$base" ] && base=$wall
      echo "| $cmd | $mode | $rtt ms | $wall | $(echo "scale=2; $wall / $base" | bc) | $ch | $ex | $sf | $ba | $cpu |"
    done
  done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FLEET" = 1 ]; then
  echo
  echo "hygiene on 8 hosts at 50 ms (bench/fleet.sh):"
  COUNTS=8 MODES=proxied RTT=50 IR_CLI=$IR_CLI bash bench/fleet.sh
fi
