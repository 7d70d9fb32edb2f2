#!/usr/bin/env bash
# Side-by-side benchmark: hornet vs wrk against nginx on loopback.
#
# Installs nginx, wrk, strace and GNU time from Debian's packages if they are
# missing, builds hornet in release mode, then runs benches/vs_wrk.py, which
# alternates hornet and wrk rounds and prints medians and ratios. Raw results
# land in benches/results/DATE-HOST-vs-wrk.{txt,json}.
#
# Usage: benches/vs_wrk.sh [--rounds N] [--duration SECONDS] [--threads N]
#                          [--connections N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v strace >/dev/null 2>&1 || need+=(strace)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release -q -p hornet
exec python3 benches/vs_wrk.py "$@"
