#!/usr/bin/env bash
# Installs what the tests need (Debian packages, npm packages), starts the real test services
# (sshd, fail2ban-server, dockerd + compose, a remote host in a netns), runs every test, stops the
# services, and ends with one line "N passed, N failed". Needs root (apt, netns, dockerd).
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=${IR_SVC_STATE:-/tmp/ir-svc}
export IR_SVC_STATE=$STATE
OUT=$(mktemp -d /tmp/ir-test-XXXXXX)

cleanup() { bash test/services/stop.sh "$STATE" >/dev/null 2>&1 || true; }
trap cleanup EXIT

fail_setup() { echo "setup failed: $1" >&2; echo "0 passed, 1 failed"; exit 1; }

npm ci --no-audit --no-fund >"$OUT/npm-ci.log" 2>&1 || { tail -20 "$OUT/npm-ci.log" >&2; fail_setup "npm ci"; }
npm run build >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; fail_setup "npm run build (tsc)"; }
npm run lint >"$OUT/lint.log" 2>&1 || { tail -40 "$OUT/lint.log" >&2; fail_setup "npm run lint"; }
bash test/services/start.sh "$STATE" || fail_setup "test/services/start.sh"

node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json --outputFile="$OUT/jest.json" "$@"
status=$?
if [ ! -s "$OUT/jest.json" ]; then echo "jest wrote no results"; echo "0 passed, 1 failed"; exit 1; fi
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const failedSuites = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""}`);
' "$OUT/jest.json"
exit $status
