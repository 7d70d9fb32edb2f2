#!/usr/bin/env python3
"""hornet vs wrk over TLS against nginx on loopback, alternating rounds.

A throwaway CA and a server certificate for 127.0.0.1/localhost (ECDSA
P-256, or RSA-2048 with --rsa) are made with openssl; nginx serves HTTPS
(TLS 1.2 and 1.3, shared session cache and session tickets) on two ports:
one for keep-alive, one that logs `$ssl_session_reused $ssl_protocol` per
request for the new-connection mode. hornet verifies the server against the
CA (--cacert); wrk (OpenSSL) does not verify.

Keep-alive mode: `hornet http https://...` vs `wrk https://...`, same
threads, connections and duration: requests/s, requests per client
CPU-second (user + sys of the client process, from wait4's rusage) and peak
RSS (GNU time). The goal reported against: hornet >= 1.0x wrk requests per
client CPU-second.

New-connection mode: one request per connection, `hornet --new-conn`,
`hornet --new-conn --no-resume` (full handshakes only) and
`wrk -H "Connection: close"` (wrk reconnects when nginx closes). Each
client's connections are counted from nginx's access log for its round
(one line per connection, checked against $connection_requests), so
handshakes per client CPU-second and the resumed fraction come from the
server's side for every client; hornet's own JSON adds its resumed/full
split and handshake p50/p99.

Rounds alternate clients, the order flipped every round; medians and
hornet/wrk ratios are printed. Raw results go to
benches/results/DATE-HOST-tls-vs-wrk.{txt,json}.
"""

import argparse
import collections
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import NGINX, free_port, host_meta, nginx_server, run_measured, start_nginx  # noqa: E402
from vs_wrk import HORNET, ROOT, hornet_cmd, parse_hornet, parse_wrk, wrk_cmd  # noqa: E402

KEEPALIVE_CLIENTS = ("hornet", "wrk")
NEW_CONN_CLIENTS = ("hornet", "hornet-full", "wrk")
LOG_FORMAT = "$connection $connection_requests $ssl_session_reused $ssl_protocol $status"

CA_CONF = """[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = hornet bench CA
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

LEAF_EXT = """basicConstraints = critical, CA:FALSE
keyUsage = critical, {key_usage}
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


def openssl(*argv):
    p = subprocess.run(["openssl", *argv], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"openssl {argv[0]} failed: {p.stderr}")


def make_certs(d, rsa):
    """A CA and an end-entity certificate for 127.0.0.1/localhost signed by
    it, in d. Returns the paths (ca.pem, server.pem, server.key)."""
    key = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    path = {n: os.path.join(d, n) for n in ("ca.cnf", "ca.key", "ca.pem", "leaf.ext",
                                            "server.key", "server.csr", "server.pem")}
    with open(path["ca.cnf"], "w") as f:
        f.write(CA_CONF)
    with open(path["leaf.ext"], "w") as f:
        f.write(LEAF_EXT.format(key_usage="digitalSignature, keyEncipherment" if rsa else "digitalSignature"))
    openssl("req", "-x509", "-config", path["ca.cnf"], *key, "-nodes", "-days", "2",
            "-keyout", path["ca.key"], "-out", path["ca.pem"])
    openssl("req", "-new", *key, "-nodes", "-subj", "/CN=localhost",
            "-keyout", path["server.key"], "-out", path["server.csr"])
    openssl("x509", "-req", "-in", path["server.csr"], "-CA", path["ca.pem"], "-CAkey", path["ca.key"],
            "-set_serial", f"0x{os.urandom(8).hex()}", "-days", "2", "-extfile", path["leaf.ext"],
            "-out", path["server.pem"])
    openssl("verify", "-CAfile", path["ca.pem"], path["server.pem"])
    return path["ca.pem"], path["server.pem"], path["server.key"]


def start_tls_nginx(tmp, workers, cert, key, ka_port, nc_port, log_path):
    """nginx with TLS on ka_port (no access log) and nc_port (access log
    with session reuse and protocol per request, to log_path)."""
    http_extra = f"""    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    ssl_session_tickets on;
    log_format tls '{LOG_FORMAT}';
"""
    servers = [nginx_server(ka_port, " ssl"),
               nginx_server(nc_port, " ssl", f"        access_log {log_path} tls;\n")]
    return start_nginx(tmp, workers, servers, [ka_port, nc_port], http_extra)


def client_cmd(client, url, args, json_path, ca, new_conn):
    """The command line of one client run."""
    if client == "wrk":
        extra = ("-H", "Connection: close") if new_conn else ()
        return wrk_cmd(url, args.threads, args.connections, args.duration, extra)
    extra = ["--cacert", ca] + (["--new-conn"] if new_conn else [])
    if client == "hornet-full":
        extra.append("--no-resume")
    return hornet_cmd(url, args.threads, args.connections, args.duration, json_path, extra)


def hornet_figures(json_path):
    """requests/s, requests, errors and TLS figures from hornet's JSON."""
    rps, total, doc = parse_hornet(json_path)
    tls = doc.get("tls") or {}
    errors = dict(doc["errors"] or {})
    errors.update({f"tls {k}": v for k, v in (tls.get("errors") or {}).items()})
    hs = tls.get("handshake_us") or {}
    return rps, total, errors, {
        "connections_opened": doc.get("connections_opened"),
        "handshakes": tls.get("handshakes"), "resumed": tls.get("resumed"), "full": tls.get("full"),
        "handshake_p50_us": hs.get("p50"), "handshake_p99_us": hs.get("p99"),
        "tls_error_examples": tls.get("error_examples") or {},
    }


def run_client(client, url, args, tmp, ca, new_conn):
    """One measured run: rate, CPU, RSS, errors (and hornet's TLS figures)."""
    json_path = os.path.join(tmp, "h.json")
    out, wall, cpu, rss = run_measured(client_cmd(client, url, args, json_path, ca, new_conn))
    if client == "wrk":
        rps, total, errs = parse_wrk(out)
        errors, extra = ({"socket": errs} if errs else {}), {}
    else:
        rps, total, errors, extra = hornet_figures(json_path)
    return {"client": client, "rps": rps, "requests": total, "cpu_s": cpu, "wall_s": wall,
            "req_per_cpu_s": total / cpu if cpu > 0 else 0.0, "maxrss_kb": rss,
            "errors": errors, **extra}


def read_log_from(path, offset):
    """The access-log lines written after byte offset."""
    time.sleep(0.3)  # let nginx finish logging the last requests
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace").splitlines()


def log_counts(lines):
    """Connections, resumed ones, protocols and statuses from log lines in
    LOG_FORMAT."""
    conns, resumed, multi = set(), 0, 0
    protocols, statuses = collections.Counter(), collections.Counter()
    for line in lines:
        conn, nreq, reused, proto, status = line.split()
        if conn in conns:
            multi += 1
            continue
        conns.add(conn)
        multi += nreq != "1"
        resumed += reused == "r"
        protocols[proto] += 1
        statuses[status] += 1
    n = len(conns)
    return {"log_lines": len(lines), "log_connections": n, "log_resumed": resumed,
            "log_resumed_fraction": resumed / n if n else 0.0,
            "log_multi_request_lines": multi, "log_protocols": dict(protocols),
            "log_statuses": dict(statuses)}


def new_conn_round(client, url, args, tmp, ca, log_path):
    """A new-connection run of client; connections counted from the log."""
    offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    r = run_client(client, url, args, tmp, ca, new_conn=True)
    r.update(log_counts(read_log_from(log_path, offset)))
    r["handshakes_per_s"] = r["log_connections"] / args.duration
    r["handshakes_per_cpu_s"] = r["log_connections"] / r["cpu_s"] if r["cpu_s"] > 0 else 0.0
    return r


def orders(clients, rounds):
    """(round number, client) in alternating order, flipped every round."""
    for i in range(rounds):
        for client in clients if i % 2 == 0 else tuple(reversed(clients)):
            yield i + 1, client


def summarize(rounds, clients, keys):
    """Medians per client of each key, and each hornet client / wrk."""
    summary = {}
    for key in keys:
        med = {c: statistics.median(r[key] for r in rounds if r["client"] == c) for c in clients}
        med["ratio"] = {f"{c}/wrk": (med[c] / med["wrk"] if med["wrk"] else None)
                        for c in clients if c != "wrk"}
        summary[key] = med
    return summary


def fmt_errors(errors):
    return ", ".join(f"{k}: {v}" for k, v in errors.items())


def keepalive_line(r):
    return (f"round {r['round']} {r['client']:11} {r['rps']:>10,.0f} req/s  "
            f"{r['req_per_cpu_s']:>10,.0f} req/CPU-s  cpu {r['cpu_s']:6.2f}s  "
            f"rss {r['maxrss_kb']/1024:6.1f} MiB  {fmt_errors(r['errors'])}")


def new_conn_line(r):
    own = ""
    if r["client"] == "wrk":
        own = f"wrk counted {r['requests']:,} requests"
    else:
        own = (f"hornet: {r['handshakes']:,} handshakes, {r['resumed']:,} resumed, {r['full']:,} full, "
               f"p50 {r['handshake_p50_us']} us, p99 {r['handshake_p99_us']} us")
    return (f"round {r['round']} {r['client']:11} {r['handshakes_per_s']:>9,.0f} conn/s  "
            f"{r['handshakes_per_cpu_s']:>9,.0f} conn/CPU-s  cpu {r['cpu_s']:5.2f}s  "
            f"rss {r['maxrss_kb']/1024:5.1f} MiB  log: {r['log_connections']:,} conns, "
            f"{r['log_resumed_fraction']*100:5.1f}% resumed {r['log_protocols']}  [{own}]  "
            f"{fmt_errors(r['errors'])}")


def table(summary, clients, rows):
    """Median table: one column per client, then the ratios to wrk (left
    blank for rows where a ratio means nothing, like a fraction)."""
    ratios = [f"{c}/wrk" for c in clients if c != "wrk"]
    out = [f"{'median':22}" + "".join(f"{c:>13}" for c in clients) + "".join(f"{r:>18}" for r in ratios)]
    for key, label, fmt, with_ratio in rows:
        s = summary[key]
        cells = "".join(f"{format(s[c], fmt):>13}" for c in clients)
        if with_ratio:
            cells += "".join(f"{s['ratio'][r]:>17.2f}x" if s["ratio"][r] is not None else f"{'-':>18}"
                             for r in ratios)
        out.append(f"{label:22}{cells}")
    return out


def first_line(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return ((p.stdout or "") + (p.stderr or "")).strip().split("\n")[0]


def output_lines(cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()


def versions():
    """Versions of the clients, nginx and openssl, and the libssl wrk uses."""
    wrk = shutil.which("wrk") or "wrk"
    libssl = [ln.split()[0] + " => " + ln.split()[2] for ln in output_lines(["ldd", wrk]) if "libssl" in ln]
    return {"wrk": first_line([wrk, "-v"]), "wrk_libssl": ", ".join(libssl),
            "nginx": first_line([NGINX, "-v"]).replace("nginx version: ", ""),
            "openssl": first_line(["openssl", "version"]), "hornet": first_line([HORNET, "--version"])}


def consistency_notes(rounds, connections):
    """Where a client's own count and nginx's log disagree by more than the
    requests in flight when the client stops (one per connection), where a
    log line shows more than one request on a connection, and TLS errors."""
    notes = []
    for r in rounds:
        own = r["requests"]
        if abs(own - r["log_lines"]) > connections:
            notes.append(f"round {r['round']} {r['client']}: client counted {own:,} responses, "
                         f"nginx logged {r['log_lines']:,}")
        if r["log_multi_request_lines"]:
            notes.append(f"round {r['round']} {r['client']}: {r['log_multi_request_lines']} log lines "
                         f"were not the only request on their connection")
        for reason, example in (r.get("tls_error_examples") or {}).items():
            notes.append(f"round {r['round']} {r['client']}: tls error {reason}, first: {example}")
    return notes


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--rsa", action="store_true", help="RSA-2048 server key instead of ECDSA P-256")
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s, for a smoke test")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 3
    return args


def keepalive_mode(url, args, tmp, ca, say):
    """Alternating keep-alive rounds; returns (rounds, summary)."""
    say(f"## keep-alive ({url})")
    rounds = []
    for i, client in orders(KEEPALIVE_CLIENTS, args.rounds):
        r = {**run_client(client, url, args, tmp, ca, new_conn=False), "mode": "keepalive", "round": i}
        rounds.append(r)
        say(keepalive_line(r))
    summary = summarize(rounds, KEEPALIVE_CLIENTS, ("rps", "req_per_cpu_s", "maxrss_kb"))
    say()
    for line in table(summary, KEEPALIVE_CLIENTS, (("rps", "req/s", ",.0f", True),
                                                   ("req_per_cpu_s", "req/CPU-s", ",.0f", True),
                                                   ("maxrss_kb", "peak RSS KiB", ",.0f", True))):
        say(line)
    ratio = summary["req_per_cpu_s"]["ratio"]["hornet/wrk"]
    say(f"goal hornet >= 1.0x wrk req/CPU-s: {ratio:.2f}x, {'met' if ratio >= 1.0 else 'NOT met'}")
    return rounds, summary


def hornet_handshake_lines(rounds):
    """Medians of hornet's own resumed/full split and handshake times."""
    out = []
    for client in ("hornet", "hornet-full"):
        rs = [r for r in rounds if r["client"] == client]
        out.append(f"{client} own count (medians): {statistics.median(r['resumed'] for r in rs):,.0f} resumed, "
                   f"{statistics.median(r['full'] for r in rs):,.0f} full; handshake "
                   f"p50 {statistics.median(r['handshake_p50_us'] for r in rs):,.0f} us, "
                   f"p99 {statistics.median(r['handshake_p99_us'] for r in rs):,.0f} us")
    return out


def new_conn_mode(url, args, tmp, ca, log_path, say):
    """Alternating one-request-per-connection rounds; returns (rounds,
    summary, notes)."""
    say(f"## new connection per request ({url}); connections counted from nginx's log")
    rounds = []
    for i, client in orders(NEW_CONN_CLIENTS, args.rounds):
        r = {**new_conn_round(client, url, args, tmp, ca, log_path), "mode": "new_conn", "round": i}
        rounds.append(r)
        say(new_conn_line(r))
    summary = summarize(rounds, NEW_CONN_CLIENTS,
                        ("handshakes_per_s", "handshakes_per_cpu_s", "log_resumed_fraction", "maxrss_kb"))
    say()
    for line in table(summary, NEW_CONN_CLIENTS, (("handshakes_per_s", "handshakes/s", ",.0f", True),
                                                  ("handshakes_per_cpu_s", "handshakes/CPU-s", ",.0f", True),
                                                  ("log_resumed_fraction", "resumed (nginx log)", ".1%", False),
                                                  ("maxrss_kb", "peak RSS KiB", ",.0f", True))):
        say(line)
    for line in hornet_handshake_lines(rounds):
        say(line)
    notes = consistency_notes(rounds, args.connections)
    for n in notes:
        say(f"note: {n}")
    return rounds, summary, notes


def header(meta, args, say):
    say(f"# hornet vs wrk over TLS, {meta['date']}, {meta['host']}, {meta['cpu']}, {meta['cores']} cores")
    say(f"# {meta['nginx']}, {meta['openssl'].split(' (')[0]}, {meta['wrk'].split(' [')[0]} "
        f"({meta['wrk_libssl']}), {meta['hornet']}")
    say(f"# nginx {args.nginx_workers} worker(s), {meta['key']} certificate, TLS 1.2+1.3, session cache "
        f"+ tickets; clients: -t {args.threads} -c {args.connections} -d {args.duration}s, "
        f"{args.rounds} alternating rounds; hornet verifies (--cacert), wrk does not")
    say()


def write_results(meta, lines, doc):
    stamp = datetime.datetime.now().strftime("%Y-%m-%d")
    base = os.path.join(ROOT, "benches", "results", f"{stamp}-{meta['host']}-tls-vs-wrk")
    with open(base + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=2)
    return base


def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="hornet-tls-bench-")
    nginx = None
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    try:
        ca, cert, key = make_certs(tmp, args.rsa)
        ka_port, nc_port = free_port(), free_port()
        while nc_port == ka_port:
            nc_port = free_port()
        log_path = os.path.join(tmp, "newconn.log")
        nginx = start_tls_nginx(tmp, args.nginx_workers, cert, key, ka_port, nc_port, log_path)
        meta = {**host_meta(), **versions(), "key": "RSA-2048" if args.rsa else "ECDSA P-256",
                "nginx_workers": args.nginx_workers, "threads": args.threads,
                "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds}
        header(meta, args, say)
        ka_rounds, ka_summary = keepalive_mode(f"https://127.0.0.1:{ka_port}/", args, tmp, ca, say)
        say()
        nc_rounds, nc_summary, notes = new_conn_mode(f"https://127.0.0.1:{nc_port}/", args, tmp, ca,
                                                     log_path, say)
        base = write_results(meta, lines, {
            "meta": meta, "rounds": ka_rounds + nc_rounds,
            "summary": {"keepalive": ka_summary, "new_conn": nc_summary}, "notes": notes})
        say(f"\nraw results: {base}.txt / .json")
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
