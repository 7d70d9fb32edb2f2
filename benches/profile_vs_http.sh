#!/usr/bin/env bash
# Profile runtime vs plain `hornet http` on the same demo target, plus the
# 10,000-user RSS run (issue 4). See benches/profile_vs_http.py.
#
# Usage: benches/profile_vs_http.sh [--rounds N] [--duration SECONDS] [--users-duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ] || ! command -v taskset >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq time util-linux >/dev/null
fi
cargo build --release -q -p hornet -p hornet-target
python3 benches/profile_vs_http.py "$@" | tee "benches/results/$(date +%F)-$(hostname)-profile${HORNET_LABEL:+-$HORNET_LABEL}.txt"
