#!/usr/bin/env bash
# SMPP benchmark: hornet smpp against hornet-smsc on loopback (headline
# submit_sm/s and latency), then hornet vs node-smpp (a third-party client
# driven at its maximum) for client CPU per submit_sm.
#
# Installs GNU time from Debian's packages if it is missing, installs the
# pinned node-smpp from npm into target/node-smpp (Node itself must be on the
# machine), builds hornet and hornet-smsc in release mode, then runs
# benches/smpp_vs.py with the arguments given here. Raw results land in
# benches/results/DATE-HOST-smpp.{txt,json}.
#
# Usage: benches/smpp_vs.sh [--rounds N] [--duration SECONDS]
#                           [--headline-duration SECONDS] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_SMPP_VERSION=0.5.1
NODE_PREFIX=target/node-smpp

command -v node >/dev/null 2>&1 || { echo "node is required (Node.js >= 14)" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm is required" >&2; exit 1; }

if [ ! -x /usr/bin/time ]; then
  echo "installing: time" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq time >/dev/null
fi

have=$(node -p "try { require('./$NODE_PREFIX/node_modules/smpp/package.json').version } catch (e) { '' }")
if [ "$have" != "$NODE_SMPP_VERSION" ]; then
  echo "installing: smpp@$NODE_SMPP_VERSION (npm, into $NODE_PREFIX)" >&2
  mkdir -p "$NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --no-save --silent "smpp@$NODE_SMPP_VERSION" >/dev/null
fi

cargo build --release -q -p hornet -p hornet-smsc
exec python3 benches/smpp_vs.py --node-modules "$NODE_PREFIX/node_modules" "$@"
