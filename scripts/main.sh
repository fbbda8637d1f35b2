#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, and runs the
# conformance suite on every backend available here (Node, then headless Chromium).
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
