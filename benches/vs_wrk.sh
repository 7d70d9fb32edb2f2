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

source benches/install.sh
need_packages /usr/sbin/nginx:nginx-light wrk:wrk strace:strace /usr/bin/time:time

cargo build --release -q -p hornet
exec python3 benches/vs_wrk.py "$@"
