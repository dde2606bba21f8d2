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
# lint (CPU) beside the services' start (mostly waiting on apt, dockerd and sshd)
npm run lint >"$OUT/lint.log" 2>&1 &
lint=$!
bash test/services/start.sh "$STATE" || fail_setup "test/services/start.sh"
wait $lint || { tail -40 "$OUT/lint.log" >&2; fail_setup "npm run lint"; }

# the clean Debian root (test/fixtures/debian-root) is built beside the tests instead of inside one
# (it downloads and unpacks for a minute or more); the test that needs it waits on the build's lock
bash test/fixtures/debian-root/build.sh "$STATE" >"$OUT/debian-root.log" 2>&1 &

JEST=(node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json)
export IR_TEST_OUT=$OUT
if [ $# -gt 0 ]; then
  # the tests named on the command line, in one run
  "${JEST[@]}" --outputFile="$OUT/jest-1.json" "$@"
  status=$?
else
  # Two lanes at once. The first runs one after another the tests that change or depend on the shared
  # Docker engine and the second host, and those that scan or collect this live host (whose containers
  # the others start and remove). The second runs everything else: unit tests, offline roots, narrow
  # ssh checks, and fail2ban with its auth log (ban, unban, auth-review: one after another there).
  # Each test file runs in exactly one lane.
  SHARED='test/integration/(isolate|container-scan|container-fallback|collect\.test|collect-docker|collect-journal|collect-incomplete|playbook\.test|sweep-live|fleet|ssh-proxyjump|persistence-scan|persistence-map|remote-roundtrips|playbook-inproc)'
  "${JEST[@]}" --outputFile="$OUT/jest-1.json" "$SHARED" >"$OUT/lane-1.log" 2>&1 &
  lane1=$!
  "${JEST[@]}" --outputFile="$OUT/jest-2.json" --testPathIgnorePatterns "$SHARED" /node_modules/ 2>&1 | tee "$OUT/lane-2.log"
  status2=${PIPESTATUS[0]}
  wait $lane1
  status1=$?
  cat "$OUT/lane-1.log"
  status=$(( status1 > status2 ? status1 : status2 ))
fi
node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0, files = 0;
for (const f of process.argv.slice(1)) {
  if (!fs.existsSync(f) || fs.statSync(f).size === 0) { console.log(`jest wrote no results to ${f}`); failed++; continue; }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  files += r.numTotalTestSuites;
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  skipped += r.numPendingTests;
}
console.log(`${files} test files`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
' "$OUT"/jest-*.json
exit $status
