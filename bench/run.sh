#!/usr/bin/env bash
# npm run bench: every benchmark script in bench/ (each prints a markdown table). Needs `npm run build`
# and, for the ssh/docker/fail2ban ones, the test services (bash test/services/start.sh /tmp/ir-svc).
set -uo pipefail
cd "$(dirname "$0")/.."
for b in bench/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "## $(basename "$b" .sh)"
  bash "$b" || echo "(failed: $b)"
  echo
done
