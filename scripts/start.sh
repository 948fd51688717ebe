#!/usr/bin/env bash
# `npm start`: installs dependencies when needed, builds, and runs the satellite on its built-in
# default (standalone mode, config/mcp-servers.demo.json) unless DEPLOYSTACK_MCP_CONFIG says otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
npx nest build
# The production Node flags (memory: docs/benchmarks.md "Memory"), one per line in node-flags.txt.
mapfile -t flags < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' scripts/node-flags.txt)
exec node "${flags[@]}" dist/main.js
