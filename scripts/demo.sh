#!/usr/bin/env bash
# npm run demo: start the API simulator with the sample incident (namespace shop),
# then diagnose its workloads with the CLI, exactly as an engineer would against a real cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/jobs/cli/main.js ] || npm run -s build
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT

node --import tsx tools/kube-sim/main.ts --fixtures test/fixtures/sample-incident --port 0 \
  --kubeconfig-out "$work/kubeconfig" --rebase-time 2026-11-20T10:00:00Z >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 1 100); do [ -s "$work/kubeconfig" ] && grep -q listening "$work/sim.log" && break; sleep 0.1; done
grep -q listening "$work/sim.log" || { cat "$work/sim.log" >&2; echo "demo: the simulator did not start" >&2; exit 1; }
echo "$(head -1 "$work/sim.log")"
echo

export KUBECONFIG="$work/kubeconfig"
run() {
  echo "\$ poddebug diagnose $*"
  node bin/poddebug.js diagnose "$@" || true
  echo
}
run deploy/checkout -n shop
run deploy/payments -n shop
run deploy/search -n shop
run job/db-migrate -n shop
run deploy/cart -n shop
echo "\$ poddebug diagnose deploy/checkout -n shop --json | head -20"
node bin/poddebug.js diagnose deploy/checkout -n shop --json | head -20
