#!/usr/bin/env bash
# Installs what gluon-loss needs on a fresh Debian machine that has Node 20.19+ and
# Python 3: pnpm, the workspace's packages (exactly the lockfile's), MXNet 1.9.1 in .venv
# (the golden check and the bench's MXNet anchor), Debian's Chromium (browser tests) and
# Debian's clang-14 + lld-14 (backend-wasm's C kernels); with --jax also .venv-jax (jax[cpu],
# optax: the full bench's JAX anchor; about 150 MB of wheels, so CI's quick path leaves it out).
# Idempotent: each step is skipped when it is already done.
#   scripts/setup.sh [--no-python] [--no-browser] [--jax]
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
want_python=1
want_browser=1
want_jax=0
for arg in "$@"; do
  case "$arg" in
    --no-python) want_python=0 ;;
    --no-browser) want_browser=0 ;;
    --jax) want_jax=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  if (a < 20 || (a === 20 && b < 19)) { console.error(`Node 20.19 or newer is needed; this is ${process.version}`); process.exit(1); }'

# corepack fails on this image ("No compatible signature"), so pnpm comes from npm, pinned.
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "== installing pnpm $PNPM_VERSION"
  npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

echo "== pnpm install (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

if [ "$want_python" = 1 ] && ! .venv/bin/python -c 'import mxnet' >/dev/null 2>&1; then
  echo "== Python venv with mxnet==1.9.1 (conformance/generator/requirements.txt)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r conformance/generator/requirements.txt
fi

if [ "$want_jax" = 1 ] && ! .venv-jax/bin/python -c 'import jax, optax' >/dev/null 2>&1; then
  echo "== Python venv .venv-jax with jax[cpu]==0.10.2 and optax (packages/bench/python/requirements-jax.txt)"
  python3 -m venv .venv-jax
  .venv-jax/bin/pip install --quiet --disable-pip-version-check -r packages/bench/python/requirements-jax.txt
fi

if [ "$want_browser" = 1 ] && [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "== Chromium from Debian"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
if ! command -v clang-14 >/dev/null 2>&1 || ! command -v wasm-ld-14 >/dev/null 2>&1; then
  echo "== clang-14 and lld-14 from Debian (backend-wasm's kernels)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang-14 lld-14 >/dev/null
fi
echo "== setup done"
