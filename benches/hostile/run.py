#!/usr/bin/env python3
"""hornet against hostile peers: exit time and peak memory (issue 11, items 1-3).

Starts each hostile peer on 127.0.0.1 port 0, runs the hornet binary against
it, and reports per case: wall time to exit, the bound it must meet
(duration + timeout + 1 s), peak RSS (VmHWM sampled from /proc, and the
kernel's own ru_maxrss of the child), and the exit code. Prints a table and
writes it (plus JSON) to the results path given.

Peers (Python 3 standard library only; each connection on its own thread):
  http-endless-chunked    answers one request with 1-byte chunks, forever
  https-endless-chunked   the same over TLS (self-signed cert made with openssl)
  smpp-deliver-sm-storm   binds the ESME, then streams deliver_sm without pause
                          (reads and discards the ESME's answers); rx bind
  smpp-deliver-sm-storm-trx  the same on a trx bind while submits are pending
  smpp-enquire-link-flood binds, then floods enquire_link and never reads again

Usage:
  benches/hostile/run.py RESULTS.txt [--hornet target/release/hornet]
                         [--duration 2] [--timeout 1] [--only NAME ...]
                         [--profile PROFILE.toml]

`--profile` adds `hornet run PROFILE` cases for the scenario runtime: the
profile's HTTP target is pointed at the endless-stream peer with
`--host URL` (and its SMPP endpoint at the deliver_sm storm with
`--smpp-endpoint`), `--run-time` set to the duration. See
`scenario_cases()` to add more.
"""

import argparse
import json
import os
import resource
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

PEER_LIFETIME_S = 60.0


# --------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------

class Peer:
    """A listener on 127.0.0.1:0 serving each connection with `serve` on a
    thread of its own; `stop()` ends everything."""

    def __init__(self, serve, wrap=None):
        self.serve = serve
        self.wrap = wrap
        self.stopped = threading.Event()
        self.accepted = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        deadline = time.monotonic() + PEER_LIFETIME_S
        while not self.stopped.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(3.0)
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn):
        try:
            if self.wrap is not None:
                conn = self.wrap(conn)
            self.serve(conn, self.stopped)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stopped.set()
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=2)


def read_http_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(4096)
        if not data:
            return False
        buf += data
        if len(buf) > 65536:
            return False
    return True


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
ONE_BYTE_CHUNKS = b"1\r\nx\r\n" * (65536 // 6)


def endless_chunked(conn, stopped):
    if not read_http_head(conn):
        return
    conn.sendall(CHUNKED_HEAD)
    while not stopped.is_set():
        conn.sendall(ONE_BYTE_CHUNKS)


# SMPP 3.4 framing: command_length, command_id, command_status, sequence.
def pdu(command_id, seq, body=b"", status=0):
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def cstr(s):
    return s + b"\x00"


BIND_RESP = {0x00000001: 0x80000001, 0x00000002: 0x80000002, 0x00000009: 0x80000009}
ENQUIRE_LINK = 0x00000015
DELIVER_SM = 0x00000005
SUBMIT_SM = 0x00000004
UNBIND = 0x00000006


def read_pdu(conn, buf):
    """Returns (command_id, seq, frame, rest) or None at EOF."""
    while True:
        if len(buf) >= 16:
            length = struct.unpack(">I", buf[:4])[0]
            if length < 16 or length > 65536:
                return None
            if len(buf) >= length:
                cid, _, seq = struct.unpack(">III", buf[4:16])
                return cid, seq, buf[:length], buf[length:]
        data = conn.recv(65536)
        if not data:
            return None
        buf += data


def accept_bind(conn):
    got = read_pdu(conn, b"")
    if got is None or got[0] not in BIND_RESP:
        return None
    cid, seq, _, rest = got
    conn.sendall(pdu(BIND_RESP[cid], seq, cstr(b"hostile")))
    return rest


def deliver_sm_body():
    # service_type, source (ton, npi, addr), dest (ton, npi, addr),
    # esm_class, protocol_id, priority, schedule, validity,
    # registered_delivery, replace, data_coding, sm_default_msg_id,
    # sm_length, short_message.
    text = b"storm"
    return (cstr(b"") + b"\x01\x01" + cstr(b"998901234567") + b"\x05\x00" + cstr(b"hornet")
            + b"\x00\x00\x00" + cstr(b"") + cstr(b"") + b"\x00\x00\x00\x00"
            + bytes([len(text)]) + text)


DELIVER_BATCH = b"".join(pdu(DELIVER_SM, i + 1, deliver_sm_body()) for i in range(4096))
ENQUIRE_BATCH = b"".join(pdu(ENQUIRE_LINK, i + 1) for i in range(4096))


def storm(conn, stopped):
    """Binds, then streams deliver_sm; a reader thread reads the ESME's
    answers and answers its submit_sm and unbind (under a lock so a PDU is
    never split)."""
    rest = accept_bind(conn)
    if rest is None:
        return
    lock = threading.Lock()
    done = threading.Event()

    def reader():
        buf = rest
        try:
            while not stopped.is_set():
                got = read_pdu(conn, buf)
                if got is None:
                    break
                cid, seq, _, buf = got
                reply = None
                if cid == SUBMIT_SM:
                    reply = pdu(0x80000004, seq, cstr(b"1"))
                elif cid == UNBIND:
                    reply = pdu(0x80000006, seq)
                if reply:
                    with lock:
                        conn.sendall(reply)
        except OSError:
            pass
        done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    while not stopped.is_set() and not done.is_set():
        with lock:
            conn.sendall(DELIVER_BATCH)
    t.join(timeout=2)


def enquire_link_flood(conn, stopped):
    """Binds, then floods enquire_link and never reads again."""
    if accept_bind(conn) is None:
        return
    while not stopped.is_set():
        conn.sendall(ENQUIRE_BATCH)


def make_cert(tmp):
    """A self-signed end-entity certificate for localhost and 127.0.0.1."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:FALSE"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


# --------------------------------------------------------------------------
# Running hornet
# --------------------------------------------------------------------------

def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_hornet(argv, limit_s):
    """Runs argv; returns (exit code, wall s, VmHWM KiB, ru_maxrss KiB,
    stderr tail). Kills it past limit_s (exit code None)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak = 0
    stderr = []
    t = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    t.start()
    killed = False
    while True:
        try:
            _, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            status, usage = 0, None
            break
        if _ != 0:
            break
        peak = max(peak, vm_hwm_kb(proc.pid))
        if time.monotonic() - start > limit_s:
            proc.kill()
            killed = True
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    t.join(timeout=2)
    maxrss = usage.ru_maxrss if usage is not None else 0
    tail = (stderr[0] if stderr else b"").decode(errors="replace").strip().splitlines()[-1:]
    return (None if killed else proc.returncode, wall, peak, maxrss, tail[0] if tail else "")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def smpp_argv(hornet, port, extra, d, timeout):
    return [hornet, "smpp", f"127.0.0.1:{port}", "--system-id", "esme", "--password", "pw",
            "--sessions", "1", "-t", "1", "-d", f"{d}s", "--timeout", f"{timeout}s", "-q"] + extra


def engine_cases(hornet, d, timeout, tmp):
    """(name, peer factory, argv builder) for hornet http / hornet smpp."""
    http = lambda port: [hornet, "http", f"http://127.0.0.1:{port}/", "-c", "1", "-t", "1",
                         "-d", f"{d}s", "--timeout", f"{timeout}s", "-q"]
    cases = [
        ("http-endless-chunked", lambda: Peer(endless_chunked), http),
        ("smpp-deliver-sm-storm", lambda: Peer(storm),
         lambda port: smpp_argv(hornet, port, ["--bind", "rx"], d, timeout)),
        ("smpp-deliver-sm-storm-trx", lambda: Peer(storm),
         lambda port: smpp_argv(hornet, port, ["-R", "1000"], d, timeout)),
        ("smpp-enquire-link-flood", lambda: Peer(enquire_link_flood),
         lambda port: smpp_argv(hornet, port, [], d, timeout)),
    ]
    if shutil.which("openssl"):
        cert, key = make_cert(tmp)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        wrap = lambda conn: ctx.wrap_socket(conn, server_side=True)
        https = lambda port: [hornet, "http", f"https://localhost:{port}/", "--cacert", cert,
                              "-c", "1", "-t", "1", "-d", f"{d}s", "--timeout", f"{timeout}s",
                              "-q"]
        cases.insert(1, ("https-endless-chunked", lambda: Peer(endless_chunked, wrap), https))
    else:
        print("openssl not found: skipping the TLS case", file=sys.stderr)
    return cases


def scenario_cases(hornet, d, timeout, profile):
    """Hook for the scenario runtime (`hornet run PROFILE`): the profile's
    HTTP target is the endless-stream peer, its SMPP endpoint the
    deliver_sm storm. The profile's own timeouts apply; pass --timeout to
    match them so the bound is right. Add cases here."""
    if not profile:
        return []
    return [
        ("run-http-endless-chunked", lambda: Peer(endless_chunked),
         lambda port: [hornet, "run", profile, "--host", f"http://127.0.0.1:{port}",
                       "--run-time", f"{d}s", "-q"]),
        ("run-smpp-deliver-sm-storm", lambda: Peer(storm),
         lambda port: [hornet, "run", profile, "--smpp-endpoint", f"127.0.0.1:{port}",
                       "--run-time", f"{d}s", "-q"]),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="where to write the table (and RESULTS.json)")
    ap.add_argument("--hornet", default="target/release/hornet")
    ap.add_argument("--duration", type=float, default=2.0, help="seconds (-d)")
    ap.add_argument("--timeout", type=float, default=1.0, help="seconds (--timeout)")
    ap.add_argument("--only", nargs="*", help="case names to run")
    ap.add_argument("--profile", help="add `hornet run PROFILE` cases")
    args = ap.parse_args()
    d, timeout = args.duration, args.timeout
    d_arg = f"{d:g}"
    t_arg = f"{timeout:g}"
    bound = d + timeout + 1.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = engine_cases(args.hornet, d_arg, t_arg, tmp)
        cases += scenario_cases(args.hornet, d_arg, t_arg, args.profile)
        for name, make_peer, argv_for in cases:
            if args.only and name not in args.only:
                continue
            peer = make_peer()
            try:
                argv = argv_for(peer.port)
                code, wall, hwm, maxrss, tail = run_hornet(argv, bound + 30.0)
            finally:
                peer.stop()
            ok = code is not None and wall <= bound and max(hwm, maxrss) < 64 * 1024
            rows.append({
                "case": name, "exit_s": round(wall, 3), "bound_s": bound,
                "peak_rss_kb": max(hwm, maxrss), "vm_hwm_kb": hwm, "ru_maxrss_kb": maxrss,
                "exit_code": code, "connections": peer.accepted, "ok": ok,
                "stderr": tail, "argv": " ".join(argv),
            })
            print(f"{name}: {wall:.2f}s (bound {bound:g}s), peak {max(hwm, maxrss) / 1024:.1f} MiB,"
                  f" exit {code}", file=sys.stderr)
    header = f"{'case':<28} {'exit s':>7} {'bound s':>8} {'peak RSS MiB':>13} {'exit':>5} {'conns':>6}  verdict"
    lines = [
        f"hornet hostile peers: {args.hornet}, -d {d_arg}s --timeout {t_arg}s,"
        f" {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.uname().nodename}",
        header, "-" * len(header),
    ]
    for r in rows:
        lines.append(
            f"{r['case']:<28} {r['exit_s']:>7.2f} {r['bound_s']:>8g} {r['peak_rss_kb'] / 1024:>13.1f}"
            f" {str(r['exit_code']):>5} {r['connections']:>6}  {'ok' if r['ok'] else 'FAIL'}")
    table = "\n".join(lines) + "\n"
    print(table, end="")
    with open(args.results, "w") as f:
        f.write(table)
    with open(os.path.splitext(args.results)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=2)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
