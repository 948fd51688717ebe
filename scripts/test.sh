#!/usr/bin/env bash
# `npm test`: sets up everything the tests need on a fresh machine, then runs lint, type check,
# build and every test (unit + e2e). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh

# The sandbox is tested for real: bubblewrap (the bwrap driver), passt (pasta: the sandboxes'
# outbound network), nftables (their firewall), iproute2 (their namespaces); chromium renders the
# status page (test/status/, driven by playwright-core, never a downloaded browser). Install what is missing.
missing=()
for tool in bwrap:bubblewrap pasta:passt nft:nftables ip:iproute2 chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${missing[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) ||
      echo "test: could not install ${missing[*]}; the tests that need them will skip with the reason" >&2
  else
    echo "test: ${missing[*]} missing and not root; the tests that need them will skip with the reason" >&2
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
