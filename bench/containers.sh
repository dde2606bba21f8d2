#!/usr/bin/env bash
# What scanning inside containers costs (issue 17), on the test services' dockerd:
#  1. 20 idle containers of two images (ir-busybox:test and one committed on top of it with an extra
#     layer), started here and removed at the end: a local `ir persistence-scan` with and without
#     --no-containers, RUNS times each, medians. Goal: containers add at most 3 s; each image judged once.
#  2. a container whose writable layer holds 100 MB: `ir collect --project` keeps its peak RSS under
#     150 MiB (the layer is streamed into the archive, never held).
# Needs `npm run build` and bash test/services/start.sh /tmp/ir-svc. Usage: bash bench/containers.sh [RUNS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
S=${IR_SVC_STATE:-/tmp/ir-svc}
eval "$(node -e 'const e=require(process.argv[1]); for (const k of ["DOCKER_HOST","DOCKER_CONFIG"]) console.log(`export ${k}=${JSON.stringify(e[k])}`)' "$S/env.json")"
[ -f "$HERE/dist/scan/containers/scan.js" ] || (cd "$HERE" && npm run build >/dev/null)
D=$(mktemp -d /tmp/ir-bench-ctr.XXXXXX)
TAG=irbench$$
IMG2=ir-busybox:$TAG
P=irbench-big$$
cleanup() {
  docker ps -aq --filter "label=ir.bench=$TAG" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker compose -p "$P" -f "$D/compose.yaml" down -t 1 >/dev/null 2>&1 || true
  docker image rm "$IMG2" >/dev/null 2>&1 || true
  rm -rf "$D"
}
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# the second image: one more layer (a small app tree) on top of the first
docker run --name "$TAG-base" --label "ir.bench=$TAG" ir-busybox:test sh -c 'mkdir -p /srv/app && for i in $(seq 1 50); do echo "print($i)" > /srv/app/m$i.py; done' >/dev/null
docker commit "$TAG-base" "$IMG2" >/dev/null
docker rm -f "$TAG-base" >/dev/null
for i in $(seq 1 10); do
  docker run -d --label "ir.bench=$TAG" --network none --name "$TAG-a$i" ir-busybox:test sh -c 'date > /tmp/started; exec sleep 3600' >/dev/null
  docker run -d --label "ir.bench=$TAG" --network none --name "$TAG-b$i" "$IMG2" sh -c 'date > /tmp/started; exec sleep 3600' >/dev/null
done

scan() { /usr/bin/time -f %e node "$HERE/bin/run.js" persistence-scan --json "$@" 2>"$D/time" >"$D/out.json" || true; tail -1 "$D/time"; }
with=(); without=()
for i in $(seq 1 "$RUNS"); do
  without+=("$(scan --no-containers)")
  with+=("$(scan)")
done
node -e '
const o = require(process.argv[1]);
const c = o.containers, runs = c.runs.filter((r) => r.name.startsWith(process.argv[2]));
const reused = runs.filter((r) => r.imageScanReused).length;
console.log(`containers scanned: ${c.runs.length} (bench: ${runs.length}), images judged: ${c.images}, bench containers reusing their image scan: ${reused}/${runs.length}, rescanned detectors: ${[...new Set(runs.flatMap((r) => r.rescanned))].join(",") || "none"}`);
' "$D/out.json" "$TAG"
mw=$(printf '%s\n' "${with[@]}" | median); mo=$(printf '%s\n' "${without[@]}" | median)
echo "| what | median of $RUNS (wall, node start-up included) |"
echo "| --- | --- |"
echo "| ir persistence-scan --no-containers | ${mo} s |"
echo "| ir persistence-scan (20 bench containers + the others on the engine) | ${mw} s |"
echo "| added by the containers | $(echo "$mw - $mo" | bc) s (goal: at most 3 s) |"

# 100 MB writable layer: collect's peak RSS, against the same collect before the layer holds it
cat > "$D/compose.yaml" <<'EOF'
services:
  big:
    image: ir-busybox:test
    network_mode: none
    command: ["sh", "-c", "exec sleep 3600"]
EOF
docker compose -p "$P" -f "$D/compose.yaml" up -d >/dev/null 2>&1
collect_rss() {
  rm -rf "$D/out" && mkdir -p "$D/out"
  /usr/bin/time -f '%M %e' "$HERE/bin/run.js" collect --project "$P" --out "$D/out" --json 2>"$D/time" >/dev/null || true
  tail -1 "$D/time"
}
read -r kb0 secs0 < <(collect_rss)
docker exec "$P-big-1" sh -c 'dd if=/dev/urandom of=/tmp/blob bs=1M count=100 2>/dev/null'
read -r kb secs < <(collect_rss)
stored=$(node "$HERE/bin/run.js" evidence ls "$D"/out/*.tar.gz --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const e=JSON.parse(s).entries.find((x)=>x.path.endsWith("/layer/tmp/blob"));console.log(e?e.size:0)})')
echo "| ir collect --project, empty writable layer (the whole host's triage too) | peak RSS $((kb0 / 1024)) MiB, ${secs0} s |"
echo "| ir collect --project, 100 MB writable layer (stored: ${stored} bytes) | peak RSS $((kb / 1024)) MiB, ${secs} s (goal: where it was, under 150 MiB) |"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
