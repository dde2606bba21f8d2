#!/usr/bin/env bash
# Benchmark of `ir auth-review --json` against the seed's grep pipelines, side by side in one run.
#   bash bench/auth-review.sh [SIZE_MB=1024] [RUNS=3]
# The log is generated under /tmp (never in the repo) by ../shared/bench/gen-authlog.py and read
# once before timing, so every contender reads from the page cache. Needs `npm run build` first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
size=${1:-1024}
runs=${2:-3}
dir=${IR_BENCH_DIR:-/tmp/ir-bench}
gen=${IR_GEN_AUTHLOG:-$repo/../shared/bench/gen-authlog.py}
[ -f "$gen" ] || gen=/work/shared/bench/gen-authlog.py
mkdir -p "$dir"
log=$dir/auth-${size}m.log
small=$dir/auth-256m.log
[ -s "$log" ] || python3 "$gen" "$log" "$size"
[ -s "$small" ] || python3 "$gen" "$small" 256
[ -f "$repo/dist/commands/auth-review.js" ] || { echo "build first: npm run build" >&2; exit 2; }

# best of $runs: wall seconds, CPU seconds (user+sys, children included: the fair figure on a busy
# machine) and peak RSS (KiB) of the pipeline's largest process
measure() {
  local best_t=999999 best_c=0 best_m=0 t u s m
  for _ in $(seq "$runs"); do
    cat "$log" >/dev/null
    /usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" bash -c "$1" >/dev/null
    read -r t u s m <"$dir/time.out"
    if awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_c=$(awk "BEGIN{print $u + $s}"); best_m=$m; fi
  done
  echo "$best_t $best_c $best_m"
}

seed_tail="grep -i 'failed\\|invalid' '$log' | tail -50"
per_ip="grep -E 'Failed password|Invalid user' '$log' | grep -oE ' from [0-9a-fA-F.:]+' | sort | uniq -c | sort -rn"
ir="node '$repo/bin/run.js' auth-review '$log' --json --no-fail2ban"
ir1="node '$repo/bin/run.js' auth-review '$log' --json --no-fail2ban --threads 0"
ir_small="node '$repo/bin/run.js' auth-review '$small' --json --no-fail2ban"

echo "file: $log ($(du -h "$log" | cut -f1), $(wc -l <"$log") lines), $(nproc) cores, node $(node --version), best of $runs"
uptime
read -r t_tail c_tail m_tail < <(measure "$seed_tail")
read -r t_ip c_ip m_ip < <(measure "$per_ip")
read -r t_ir c_ir m_ir < <(measure "$ir")
read -r t_ir1 c_ir1 m_ir1 < <(measure "$ir1")
log_saved=$log; log=$small
read -r t_small c_small m_small < <(measure "$ir_small")
log=$log_saved
uptime
printf '| %s | %s | %s | %s |\n' command 'wall s' 'CPU s' 'peak RSS'
printf '| --- | --- | --- | --- |\n'
printf '| %s | %s | %s | %s MiB |\n' "seed: grep -i 'failed\\|invalid' \\| tail -50" "$t_tail" "$c_tail" $((m_tail / 1024))
printf '| %s | %s | %s | %s MiB |\n' "per-IP: grep -E … \\| grep -oE ' from …' \\| sort \\| uniq -c \\| sort -rn" "$t_ip" "$c_ip" $((m_ip / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json (worker threads)" "$t_ir" "$c_ir" $((m_ir / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json --threads 0" "$t_ir1" "$c_ir1" $((m_ir1 / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json, 256 MiB file" "$t_small" "$c_small" $((m_small / 1024))
awk -v a="$t_ir" -v b="$t_tail" -v c="$t_ip" -v d="$t_ir1" 'BEGIN{printf "wall: ir / grep|tail = %.2f× (goal ≤ 1.5×), one thread %.2f×; per-IP pipeline / ir = %.1f× (goal ≥ 10×)\n", a/b, d/b, c/a}'
awk -v a="$c_ir" -v b="$c_tail" -v c="$c_ip" -v d="$c_ir1" 'BEGIN{printf "CPU:  ir / grep|tail = %.2f×, one thread %.2f×; per-IP pipeline / ir = %.1f×\n", a/b, d/b, c/a}'
read -r t_ver c_ver m_ver < <(measure "node '$repo/bin/run.js' --version")
echo "start-up alone (ir --version): $t_ver s wall, $c_ver s CPU, $((m_ver / 1024)) MiB"

