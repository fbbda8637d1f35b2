#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, runs the conformance
# suite on every backend available here (Node, then headless Chromium), shows which
# backend the router picks for each loss and why, and ends with a quick bench summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

scripts/setup.sh
pnpm build
echo
echo "== conformance in Node (every built-in backend available here)"
node packages/conformance/dist/cli.js --quiet --json conformance-report.json
echo
echo "== conformance in headless Chromium"
node packages/browser/dist/cli.js --json conformance-report.browser.json
echo
echo "== which backend the router (gluon-loss) picks for each loss here, and why"
node packages/router/dist/choices.js 2>/dev/null
echo
echo "== quick bench: each backend's time over MXNet 1.9.1's, same run, same inputs"
node packages/bench/dist/cli.js --quick --quiet
node packages/dashboard/dist/training-cli.js --out dashboard-out/training.json
node packages/dashboard/dist/cli.js --training dashboard-out/training.json
echo "dashboard: $(pwd)/dashboard-out/index.html"
