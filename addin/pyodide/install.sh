#!/usr/bin/env bash
# Install the pinned npm `pyodide` package into addin/pyodide/node_modules (gitignored).
# Everything the engine needs at run time comes from that package and this repository: no CDN.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/pyodide/pyodide.asm.wasm ] && grep -q '"version": "0.29.5"' node_modules/pyodide/package.json; then
  exit 0
fi
npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
