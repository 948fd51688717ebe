#!/usr/bin/env bash
# `npm run bench:search`: the tool-search benchmark (docs/search.md).
# 1. in-process: ranking quality, latency at ~400 and 10,000 tools, tokens;
# 2. end to end: the built satellite with the catalog's 15 servers as stdio upstreams, over /mcp.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
run_ts() { node --experimental-strip-types --import ./bench/search/ts-resolve.ts "$@"; }

echo "# Tool search benchmark (node $(node -v))"
run_ts bench/search/quality.bench.ts "$@"
echo
echo "building the satellite for the end-to-end run…" >&2
npx nest build >/dev/null
run_ts bench/search/e2e.bench.ts
