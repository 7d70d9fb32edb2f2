#!/usr/bin/env bash
# Side-by-side TLS benchmark: hornet vs wrk (OpenSSL) against nginx serving
# HTTPS on loopback, keep-alive and one-request-per-connection.
#
# Installs nginx, wrk, openssl and GNU time from Debian's packages if they
# are missing, builds hornet in release mode, then runs
# benches/tls_vs_wrk.py, which makes a throwaway CA and server certificate,
# alternates hornet and wrk rounds and prints medians and ratios. Raw
# results land in benches/results/DATE-HOST-tls-vs-wrk.{txt,json}.
#
# Usage: benches/tls_vs_wrk.sh [--rounds N] [--duration SECONDS] [--threads N]
#                              [--connections N] [--nginx-workers N] [--rsa]
#                              [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/install.sh
need_packages /usr/sbin/nginx:nginx-light wrk:wrk openssl:openssl /usr/bin/time:time

cargo build --release -q -p hornet
exec python3 benches/tls_vs_wrk.py "$@"
