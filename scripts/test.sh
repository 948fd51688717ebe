#!/usr/bin/env bash
# `npm test`: sets up everything the tests need on a fresh machine, then runs lint, type check,
# build and every test (unit + e2e). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh

# The bwrap sandbox driver is tested for real; install Debian's bubblewrap when missing.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing bubblewrap" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) ||
      echo "test: could not install bubblewrap; bwrap tests will skip with the reason" >&2
  else
    echo "test: bwrap missing and not root; bwrap tests will skip with the reason" >&2
  fi
fi

echo "== node $(node -v)"
echo "== lint"
npx eslint . --max-warnings 0
echo "== format"
npx prettier --check . >/dev/null || { npx prettier --list-different .; exit 1; }
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== build"
npx nest build
echo "== tests"
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci "$@"
