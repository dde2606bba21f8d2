#!/usr/bin/env bash
# Time from `ir isolate --yes` to its self-test, per mode, on the two-service test project
# (test/fixtures/isolate/compose.yaml under its own -p, so the shared irtest project is untouched),
# next to the hardening guide's bare `docker compose down` (which keeps no evidence and proves nothing).
# Needs the test services' dockerd (bash test/services/start.sh /tmp/ir-svc) and `npm run build`.
# Usage: bash bench/isolate.sh [RUNS]   (prints markdown rows for bench/README.md)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
S=${IR_SVC_STATE:-/tmp/ir-svc}
eval "$(node -e 'const e=require(process.argv[1]); for (const k of ["DOCKER_HOST","DOCKER_CONFIG"]) console.log(`export ${k}=${JSON.stringify(e[k])}`)' "$S/env.json")"
[ -f "$HERE/dist/commands/isolate.js" ] || (cd "$HERE" && npm run build >/dev/null)
D=$(mktemp -d /tmp/ir-bench-isolate.XXXXXX)
P=irbench-iso$$
cp "$HERE/test/fixtures/isolate/compose.yaml" "$D/compose.yaml"
dc() { docker compose -p "$P" -f "$D/compose.yaml" "$@"; }
cleanup() { dc down -t 1 >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT
healthy() {
  for _ in $(seq 1 120); do
    [ "$(docker ps --filter "label=com.docker.compose.project=$P" --filter health=healthy -q | wc -l)" = 1 ] && [ "$(docker ps --filter "label=com.docker.compose.project=$P" -q | wc -l)" = 2 ] && return 0
    sleep 0.5
  done
  echo "project did not become healthy" >&2; return 1
}
now() { date +%s.%N; }
dc up -d >/dev/null 2>&1; healthy
echo "| mode | ir isolate --yes → self-test (wall) | snapshot | act | self-test | ir restore --yes → healthy (wall) |"
echo "| --- | --- | --- | --- | --- | --- |"
for mode in pause network stop down; do
  for i in $(seq 1 "$RUNS"); do
    s=$(now)
    node "$HERE/bin/run.js" isolate -p "$P" --mode "$mode" --yes --json --case "$D/c-$mode-$i" > "$D/out.json"
    w=$(echo "$(now) - $s" | bc)
    s=$(now)
    node "$HERE/bin/run.js" restore --case "$D/c-$mode-$i" --yes --json > /dev/null
    r=$(echo "$(now) - $s" | bc)
    healthy
    node -e 'const o=require(process.argv[1]); const s=o.seconds; process.stdout.write(`| ${process.argv[2]} | ${Number(process.argv[3]).toFixed(2)} s | ${s.snapshot} s | ${s.act} s | ${s.selfTest} s | ${Number(process.argv[4]).toFixed(2)} s |\n`)' "$D/out.json" "$mode" "$w" "$r"
  done
done
s=$(now); dc down >/dev/null 2>&1; w=$(echo "$(now) - $s" | bc)
printf '| seed: docker compose down (no snapshot, no proof) | %.2f s | | | | |\n' "$w"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
