#!/usr/bin/env bash
# ir collect vs `tar czf` vs `tar czf` + `find -type f -exec sha256sum`, side by side in one run,
# on a ~400 MB tree of ~2,000 log files (mixed text, .gz, binary). Data under /tmp, never the repo.
# Usage: bash bench/collect.sh [WORKDIR] [RUNS=1]   (per-run lines, then medians as markdown rows for bench/README.md)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
D=${1:-/tmp/ir-bench-collect}
ROOT=$D/root
mkdir -p "$D"
[ -f "$HERE/dist/commands/collect.js" ] || (cd "$HERE" && npm run build >/dev/null)
if [ ! -f "$D/.built" ]; then
  rm -rf "$ROOT"
  mkdir -p "$ROOT/etc" "$ROOT/var/log"
  echo bench-host > "$ROOT/etc/hostname"
  python3 "$HERE/bench/collect-tree.py" "$ROOT/var/log"
  touch "$D/.built"
fi
find "$ROOT" -type f -exec cat {} + > /dev/null # warm the page cache for all three
RUNS=${2:-1}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
: > "$D/runs.txt"
for run in $(seq 1 "$RUNS"); do
  rm -rf "$D/out" "$D"/plain.tar.gz "$D"/sums.txt
  mkdir -p "$D/out"
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  s=$(now); tar czf "$D/plain.tar.gz" -C "$ROOT" .; T_TAR=$(echo "$(now) - $s" | bc)
  s=$(now); find "$ROOT" -type f -exec sha256sum {} + > "$D/sums.txt"; T_SUM=$(echo "$(now) - $s" | bc)
  s=$(now)
  /usr/bin/time -f '%M %U %S' -o "$D/rss.txt" node "$HERE/bin/run.js" collect --root "$ROOT" --out "$D/out" --json > "$D/ir.json"
  T_IR=$(echo "$(now) - $s" | bc)
  ARCHIVE=$(ls "$D"/out/*.tar.gz)
  node "$HERE/bin/run.js" evidence verify "$ARCHIVE" > /dev/null
  gzip -t "$ARCHIVE"
  S_TAR=$(stat -c %s "$D/plain.tar.gz"); S_IR=$(stat -c %s "$ARCHIVE")
  read -r RSS_KB U_IR S_IR_CPU < <(tail -1 "$D/rss.txt")
  BASE=$(echo "$T_TAR + $T_SUM" | bc)
  RATIO=$(echo "$T_IR / $BASE" | bc -l)
  printf '%s %s %s %s %s %s %s %s\n' "$RATIO" "$T_TAR" "$BASE" "$T_IR" "$S_TAR" "$S_IR" "$RSS_KB" "$LOAD" >> "$D/runs.txt"
  printf 'run %d (load %s): tar czf %.2f s, tar czf + sha256sum %.2f s, ir %.2f s (CPU %.1f s), ratio %.2f, size %.4f, peak RSS %d MiB\n' \
    "$run" "$LOAD" "$T_TAR" "$BASE" "$T_IR" "$(echo "$U_IR + $S_IR_CPU" | bc)" "$RATIO" "$(echo "$S_IR / $S_TAR" | bc -l)" "$((RSS_KB / 1024))"
done
printf 'tree: %s in %s files; %s run(s), load average at start of each: %s\n' "$(du -sh "$ROOT" | cut -f1)" "$(find "$ROOT" -type f | wc -l)" "$RUNS" "$(cut -d' ' -f8 "$D/runs.txt" | tr '\n' ' ')"
printf '| tar czf | %.2f s | %d bytes |\n' "$(cut -d' ' -f2 "$D/runs.txt" | median)" "$S_TAR"
printf '| tar czf + sha256sum | %.2f s | |\n' "$(cut -d' ' -f3 "$D/runs.txt" | median)"
printf '| ir collect --root (per-file SHA-256, manifest, bodyfile) | %.2f s | %d bytes |\n' "$(cut -d' ' -f4 "$D/runs.txt" | median)" "$S_IR"
printf 'ratio ir / (tar + sha256sum), median of the per-run ratios: %.2f (goal <= 0.65)\n' "$(cut -d' ' -f1 "$D/runs.txt" | median)"
printf 'size ir / tar czf: %.4f (goal within 1 %%)\n' "$(echo "$S_IR / $S_TAR" | bc -l)"
printf 'peak RSS: median %d MiB, max %d MiB (goal < 150)\n' "$(( $(cut -d' ' -f7 "$D/runs.txt" | median | cut -d. -f1) / 1024 ))" "$(( $(cut -d' ' -f7 "$D/runs.txt" | sort -n | tail -1) / 1024 ))"
