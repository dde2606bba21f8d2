#!/usr/bin/env bash
# ir collect vs `tar czf` vs `tar czf` + `find -type f -exec sha256sum`, side by side in one run,
# on a ~400 MB tree of ~2,000 log files (mixed text, .gz, binary). Data under /tmp, never the repo.
# Usage: bash bench/collect.sh [WORKDIR]   (prints a markdown table row set for bench/README.md)
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
rm -rf "$D/out" "$D"/plain.tar.gz "$D"/sums.txt
mkdir -p "$D/out"
find "$ROOT" -type f -exec cat {} + > /dev/null # warm the page cache for all three

now() { date +%s.%N; }
s=$(now); tar czf "$D/plain.tar.gz" -C "$ROOT" .; T_TAR=$(echo "$(now) - $s" | bc)
s=$(now); find "$ROOT" -type f -exec sha256sum {} + > "$D/sums.txt"; T_SUM=$(echo "$(now) - $s" | bc)
s=$(now)
/usr/bin/time -f '%M' -o "$D/rss.txt" node "$HERE/bin/run.js" collect --root "$ROOT" --out "$D/out" --json > "$D/ir.json"
T_IR=$(echo "$(now) - $s" | bc)
ARCHIVE=$(ls "$D"/out/*.tar.gz)
node "$HERE/bin/run.js" evidence verify "$ARCHIVE" > /dev/null
gzip -t "$ARCHIVE"
S_TAR=$(stat -c %s "$D/plain.tar.gz"); S_IR=$(stat -c %s "$ARCHIVE")
RSS_KB=$(tail -1 "$D/rss.txt")
BASE=$(echo "$T_TAR + $T_SUM" | bc)
printf 'tree: %s in %s files\n' "$(du -sh "$ROOT" | cut -f1)" "$(find "$ROOT" -type f | wc -l)"
printf '| tar czf | %.2f s | %d bytes |\n' "$T_TAR" "$S_TAR"
printf '| tar czf + sha256sum | %.2f s | |\n' "$BASE"
printf '| ir collect --root (per-file SHA-256, manifest, bodyfile) | %.2f s | %d bytes |\n' "$T_IR" "$S_IR"
printf 'ratio ir / (tar + sha256sum): %.2f (goal <= 0.65)\n' "$(echo "$T_IR / $BASE" | bc -l)"
printf 'size ir / tar czf: %.4f (goal within 1 %%)\n' "$(echo "$S_IR / $S_TAR" | bc -l)"
printf 'peak RSS: %d MiB (goal < 150)\n' "$((RSS_KB / 1024))"
