#!/usr/bin/env bash
# Time of a full `ir sweep` on this machine (local host, test services' fail2ban and Docker engine),
# and of an offline sweep of the good fixture root. Prints one line per run and the median.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
RUNS=${RUNS:-5}
[ -f dist/commands/sweep.js ] || npx tsc -p tsconfig.build.json
if [ -f "$STATE/env.sh" ]; then . "$STATE/env.sh"; fi
F2B=()
[ -n "${IR_F2B_CONF_DIR:-}" ] && F2B=(--fail2ban-dir "$IR_F2B_CONF_DIR")
measure() {
  local label=$1; shift
  local times=()
  for _ in $(seq "$RUNS"); do
    local t0 t1 ms internal
    t0=$(date +%s%N)
    internal=$(node bin/run.js sweep --json "$@" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(r.durationMs+" ms in sweep, "+r.results.length+" results")})' || true)
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    times+=("$ms")
    echo "$label: ${ms} ms wall ($internal)"
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {print l ": median " a[int((NR+1)/2)] " ms wall over " NR " runs"}'
}
measure "full sweep, local" "${F2B[@]}"
measure "offline --root good fixture" --root test/fixtures/sweep/good
