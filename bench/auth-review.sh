#!/usr/bin/env bash
# Benchmark of `ir auth-review --json` against plain grep pipelines, side by side in one run.
#   bash bench/auth-review.sh [SIZE_MB=1024] [RUNS=5]
# The log is generated under /tmp (never in the repo) by bench/gen-authlog.mjs and read once before
# timing, so every contender reads from the page cache. Needs `npm run build` first.
# IR_CLI=path/to/bin/run.js times another build (e.g. a copy, when others rebuild dist/ meanwhile);
# IR_CLI2=… times a second build in the same rounds (before/after a change, same machine state).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
size=${1:-1024}
runs=${2:-5}
dir=${IR_BENCH_DIR:-/tmp/ir-bench}
gen=$here/gen-authlog.mjs
mkdir -p "$dir"
log=$dir/auth-${size}m.log
small=$dir/auth-256m.log
[ -s "$log" ] || node "$gen" "$log" "$size"
[ -s "$small" ] || node "$gen" "$small" 256
cli=${IR_CLI:-$repo/bin/run.js}
[ -f "$(dirname "$cli")/../dist/commands/auth-review.js" ] || { echo "build first: npm run build" >&2; exit 2; }

# medians over $runs rounds; each round runs every contender once, one after the other (round-robin:
# load from other sessions falls on all of them alike). Wall seconds, CPU seconds (user+sys,
# children included: the fair figure on a busy machine) and peak RSS (KiB) of the largest process.
declare -A walls cpus rss
run_one() { # name command
  cat "$log" >/dev/null
  /usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" bash -c "$2" >/dev/null
  local t u s m
  read -r t u s m <"$dir/time.out"
  walls[$1]+="$t "
  cpus[$1]+="$(awk "BEGIN{print $u + $s}") "
  rss[$1]+="$m "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxof() { tr ' ' '\n' | grep . | sort -g | tail -1; }
result() { # name -> "wall cpu rssKiB"
  echo "$(echo "${walls[$1]}" | median) $(echo "${cpus[$1]}" | median) $(echo "${rss[$1]}" | maxof)"
}

grep_tail="grep -i 'failed\\|invalid' '$log' | tail -50"
per_ip="grep -E 'Failed password|Invalid user' '$log' | grep -oE ' from [0-9a-fA-F.:]+' | sort | uniq -c | sort -rn"
ir="node '$cli' auth-review '$log' --json --no-fail2ban"
ir1="node '$cli' auth-review '$log' --json --no-fail2ban --threads 0"
ir_small="node '$cli' auth-review '$small' --json --no-fail2ban"
cli2=${IR_CLI2:-}
ir_b="node '$cli2' auth-review '$log' --json --no-fail2ban"
ir1_b="node '$cli2' auth-review '$log' --json --no-fail2ban --threads 0"

echo "file: $log ($(du -h "$log" | cut -f1), $(wc -l <"$log") lines), $(nproc) cores, node $(node --version), median of $runs rounds"
uptime
for r in $(seq "$runs"); do
  run_one tail "$grep_tail"
  run_one ip "$per_ip"
  run_one ir "$ir"
  run_one ir1 "$ir1"
  if [ -n "$cli2" ]; then
    run_one irb "$ir_b"
    run_one ir1b "$ir1_b"
  fi
  log_saved=$log; log=$small
  run_one small "$ir_small"
  log=$log_saved
  run_one ver "node '$cli' --version"
  echo "round $r: $(uptime | sed 's/.*load/load/')" >&2
done
uptime
read -r t_tail c_tail m_tail < <(result tail)
read -r t_ip c_ip m_ip < <(result ip)
read -r t_ir c_ir m_ir < <(result ir)
read -r t_ir1 c_ir1 m_ir1 < <(result ir1)
read -r t_small c_small m_small < <(result small)
read -r t_ver c_ver m_ver < <(result ver)
for k in tail ip ir ir1 small ver; do echo "  $k: wall ${walls[$k]}| cpu ${cpus[$k]}" >&2; done
printf '| %s | %s | %s | %s |\n' command 'wall s' 'CPU s' 'peak RSS'
printf '| --- | --- | --- | --- |\n'
printf '| %s | %s | %s | %s MiB |\n' "grep -i 'failed\\|invalid' \\| tail -50" "$t_tail" "$c_tail" $((m_tail / 1024))
printf '| %s | %s | %s | %s MiB |\n' "per-IP: grep -E … \\| grep -oE ' from …' \\| sort \\| uniq -c \\| sort -rn" "$t_ip" "$c_ip" $((m_ip / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json (worker threads)" "$t_ir" "$c_ir" $((m_ir / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json --threads 0" "$t_ir1" "$c_ir1" $((m_ir1 / 1024))
printf '| %s | %s | %s | %s MiB |\n' "ir auth-review --json, 256 MiB file" "$t_small" "$c_small" $((m_small / 1024))
if [ -n "$cli2" ]; then
  read -r t_irb c_irb m_irb < <(result irb)
  read -r t_ir1b c_ir1b m_ir1b < <(result ir1b)
  for k in irb ir1b; do echo "  $k: wall ${walls[$k]}| cpu ${cpus[$k]}" >&2; done
  printf '| %s | %s | %s | %s MiB |\n' "IR_CLI2: ir auth-review --json (worker threads)" "$t_irb" "$c_irb" $((m_irb / 1024))
  printf '| %s | %s | %s | %s MiB |\n' "IR_CLI2: ir auth-review --json --threads 0" "$t_ir1b" "$c_ir1b" $((m_ir1b / 1024))
fi
awk -v a="$t_ir" -v b="$t_tail" -v c="$t_ip" -v d="$t_ir1" 'BEGIN{printf "wall: ir / grep|tail = %.2f× (goal ≤ 1.5×), one thread %.2f×; per-IP pipeline / ir = %.1f× (goal ≥ 10×)\n", a/b, d/b, c/a}'
awk -v a="$c_ir" -v b="$c_tail" -v c="$c_ip" -v d="$c_ir1" 'BEGIN{printf "CPU:  ir / grep|tail = %.2f×, one thread %.2f×; per-IP pipeline / ir = %.1f×\n", a/b, d/b, c/a}'
# the same ratios round by round (each round's contenders ran within a minute of each other)
paste <(echo "${walls[ir]}" | tr ' ' '\n') <(echo "${walls[tail]}" | tr ' ' '\n') <(echo "${walls[ip]}" | tr ' ' '\n') <(echo "${cpus[ir]}" | tr ' ' '\n') <(echo "${cpus[tail]}" | tr ' ' '\n') |
  awk 'NF==5 {printf "round %d: wall ir/grep|tail %.2f×, pipeline/ir %.1f×; CPU ir/grep|tail %.2f×\n", NR, $1/$2, $3/$1, $4/$5}'
echo "start-up alone (ir --version): $t_ver s wall, $c_ver s CPU, $((m_ver / 1024)) MiB"

