#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, type-checks,
# lints, checks that the golden files are what MXNet 1.9.1 produces, then runs
# every package's tests (the conformance suite on every backend, Node and Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

scripts/setup.sh
export GLUON_REQUIRE_CLANG=1
echo "== build";      pnpm build
echo "== backend-wasm's committed kernels are what kernels/*.c compile to"
git diff --exit-code -- 'packages/backend-wasm/src/*.generated.ts'
echo "== typecheck";  pnpm typecheck
echo "== lint";       pnpm lint
echo "== goldens match mxnet==1.9.1"
.venv/bin/python -m unittest discover -s conformance/generator -p 'test_*.py'
.venv/bin/python conformance/generator/generate.py --check
echo "== training goldens match mxnet==1.9.1"
.venv/bin/python conformance/generator/training.py --check
echo "== tests";      pnpm test
echo "== exported ONNX models pass the ONNX checker and the goldens in Python's onnxruntime"
[ -x .venv-onnx/bin/python ] || { python3 -m venv .venv-onnx && .venv-onnx/bin/pip install -q -r conformance/generator/requirements-onnx.txt; }
.venv-onnx/bin/python conformance/generator/onnx_export_check.py
echo "== packed tarballs installed with npm outside the workspace"
node scripts/test-packed.mjs
echo "== differential: the CI sample (seed 1), MXNet 1.9.1 against every Node backend"
node packages/differential/dist/cli.js --cases 2800 --seed 1 --min-per-class 20 \
  --open-list packages/differential/open-disagreements-node.json --json test-output/differential-node.json
echo "== differential: the Chromium sample (seed 1) on tfjs-webgl, tfjs-webgpu, onnx-webgpu and wasm-simd-mt"
node packages/differential/dist/cli.js --browser --cases 420 --seed 1 \
  --open-list packages/differential/open-disagreements-browser.json --json test-output/differential-browser.json
echo "== the README's coverage table is the one this run's conformance reports give"
node scripts/readme-table.mjs --check test-output/conformance-node.json test-output/conformance-browser.json
echo "== the router's shipped eligibility table is the one this run's conformance reports give"
node scripts/update-eligibility.mjs --check --node-report test-output/conformance-node.json --browser-report test-output/conformance-browser.json
echo "== quick bench (timings are reported, never judged), the training replay, and the dashboard drawn from both"
rm -rf test-output/bench
node packages/bench/dist/cli.js --quick --quiet --out test-output/bench
node packages/dashboard/dist/training-cli.js --out test-output/dashboard/training.json
node packages/dashboard/dist/cli.js --results test-output/bench --out test-output/dashboard/index.html \
  --training test-output/dashboard/training.json
