#!/usr/bin/env bash
# persistence-scan --deep (package integrity: md5 of /bin /sbin /usr/bin /usr/sbin and PAM modules against
# dpkg, changed conffiles, unowned executables; whole-file-system SUID/SGID + getcap) against the default
# scan, on this machine, over ssh to the test sshd and offline on the planted fixture root.
# Prints wall time, CPU time (user+sys: fairer on a loaded machine) and each detector's own ms.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
one() {
  # one run: wall and CPU seconds, and the slowest detectors of its JSON report
  local label=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" >"$tmp/out.json" 2>/dev/null
  read -r wall user sys < <(tail -1 "$tmp/time")
  slow=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(r.detectors.sort((a,b)=>b.ms-a.ms).slice(0,3).map(d=>`${d.id} ${d.ms} ms`).join(", "))' "$tmp/out.json" 2>/dev/null)
  printf '| %s | %s s | %.2f s | %s |\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$slow"
}
run() { for _ in $(seq "$N"); do one "$@"; done; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $(date -u +%FT%TZ)"
echo
echo "| what | wall | CPU | slowest detectors |"
echo "|---|---|---|---|"
run 'persistence-scan (default)' node bin/run.js persistence-scan --json
run 'persistence-scan --deep' node bin/run.js persistence-scan --deep --json
run 'persistence-scan --deep --only package-integrity' node bin/run.js persistence-scan --deep --only package-integrity --json
run 'persistence-scan --deep --root test/fixtures/persist/planted-root' node bin/run.js persistence-scan --deep --root test/fixtures/persist/planted-root --json
# a freshly installed Debian 12 server (test/fixtures/debian-root/build.sh, cached in the state dir): goal under 10 s
[ -d "$STATE/debian-root/root/var/lib/dpkg" ] && run 'persistence-scan --deep --root <clean Debian 12 server>' node bin/run.js persistence-scan --deep --root "$STATE/debian-root/root" --json
if [ -f "$STATE/env.json" ]; then
  key=$(node -e 'console.log(require(process.argv[1]).IR_SSH_KEY)' "$STATE/env.json")
  kh=$(node -e 'console.log(require(process.argv[1]).IR_KNOWN_HOSTS)' "$STATE/env.json")
  port=$(node -e 'console.log(require(process.argv[1]).IR_SSH_PORT)' "$STATE/env.json")
  run 'persistence-scan --deep --host deploy@127.0.0.1 --sudo' node bin/run.js persistence-scan --deep --host "deploy@127.0.0.1:$port" -i "$key" --known-hosts "$kh" --sudo --json
fi
echo
/usr/bin/time -f '%e s wall, %U s user + %S s sys' -o "$tmp/dpkg" dpkg --verify >/dev/null 2>&1
echo "for comparison: dpkg --verify (every file of every package, local only): $(tail -1 "$tmp/dpkg")"
