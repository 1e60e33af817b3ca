#!/usr/bin/env python3
"""checks.py - the correctness side of the HTTP engine choice (docs/serve.md).

    checks.py ENGINE_BINARY NAME

Starts the engine (1 thread, ENGINE_MAX_CONNS=8) on a free loopback port and
probes what a production server needs from its HTTP library, with raw
sockets so nothing is hidden by a client library: an over-limit body
(Content-Length: answered before the body is sent?  chunked?), chunked and
length-less request bodies, keep-alive, pipelining, slow clients (headers
or body dribbled a byte at a time: does the 3 s timeout bound the request?),
the connection limit, and SIGTERM with a request in flight.  One line per
check: `NAME check: result`.
"""
import os, signal, socket, subprocess, sys, time

BIN, NAME = sys.argv[1], sys.argv[2]
BODY = b'{"a":1,"b":[1,2,3]}'


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT = free_port()


def start():
    env = dict(os.environ, ENGINE_MAX_CONNS="8")
    p = subprocess.Popen([BIN, str(PORT), "1"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", PORT), 0.2).close()
            return p
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{NAME}: did not start")


def conn(timeout=5.0):
    return socket.create_connection(("127.0.0.1", PORT), timeout)


def read_responses(s, want, timeout=3.0):
    """Read until WANT complete responses (Content-Length or chunked) or
    close/timeout; returns list of (status, body)."""
    s.settimeout(timeout)
    buf, out = b"", []
    while len(out) < want:
        while True:  # parse what we have
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                break
            head = buf[:i].decode("latin1").split("\r\n")
            status = int(head[0].split()[1])
            hdr = {h.split(":", 1)[0].lower(): h.split(":", 1)[1].strip()
                   for h in head[1:] if ":" in h}
            rest = buf[i + 4:]
            if "content-length" in hdr:
                n = int(hdr["content-length"])
                if len(rest) < n:
                    break
                out.append((status, rest[:n]))
                buf = rest[n:]
            elif hdr.get("transfer-encoding") == "chunked":
                body, j, ok = b"", 0, False
                while True:
                    k = rest.find(b"\r\n", j)
                    if k < 0:
                        break
                    n = int(rest[j:k], 16)
                    if n == 0:
                        if len(rest) >= k + 4:
                            ok = True
                            j = k + 4
                        break
                    if len(rest) < k + 2 + n + 2:
                        break
                    body += rest[k + 2:k + 2 + n]
                    j = k + 2 + n + 2
                if not ok:
                    break
                out.append((status, body))
                buf = rest[j:]
            else:
                out.append((status, rest))
                buf = b""
            if len(out) >= want:
                return out
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return out
        if not d:
            return out
        buf += d
    return out


def post(body=BODY, extra=""):
    return (f"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def get(path="/healthz"):
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def closed_after(s, limit):
    """Seconds until the server closes S (None if still open at LIMIT)."""
    t0 = time.time()
    s.settimeout(0.2)
    while time.time() - t0 < limit:
        try:
            d = s.recv(65536)
            if not d:
                return time.time() - t0
        except socket.timeout:
            pass
        except ConnectionResetError:
            return time.time() - t0
    return None


def report(check, result):
    print(f"{NAME:4s} {check:22s} {result}", flush=True)


def check_big_length():
    s = conn()
    s.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
    r = read_responses(s, 1, timeout=1.5)
    if r:
        report("body>limit, length", f"{r[0][0]} before the body was sent")
        return
    try:
        s.sendall(b"x" * 2000000)
        r = read_responses(s, 1)
        report("body>limit, length", f"{r[0][0] if r else 'no answer'} only after the body")
    except OSError as e:
        report("body>limit, length", f"connection error while sending: {e}")


def check_big_chunked():
    """Send 64 KiB chunks up to 16 MB (past the loopback socket buffers),
    looking for an answer after each: how far does the server read before
    it answers 413?"""
    s = conn()
    s.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent, chunk = 0, b"x" * 65536
    s.settimeout(2)
    try:
        while sent < 16000000:
            s.setblocking(False)
            try:
                d = s.recv(65536)
                if d:
                    report("body>limit, chunked", f"{d.split()[1].decode()} after {sent} bytes sent")
                    return
            except BlockingIOError:
                pass
            s.settimeout(2)
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
        s.sendall(b"0\r\n\r\n")
    except OSError as e:
        r = read_responses(s, 1)
        report("body>limit, chunked", f"{r[0][0] if r else '-'}, send failed after {sent} bytes ({e.__class__.__name__})")
        return
    r = read_responses(s, 1)
    report("body>limit, chunked", f"{r[0][0] if r else 'no answer'} only after all {sent} bytes")


def check_chunked_small():
    s = conn()
    s.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"8\r\n" + BODY[:8] + b"\r\n" + b"%x\r\n" % (len(BODY) - 8) + BODY[8:] + b"\r\n0\r\n\r\n")
    r = read_responses(s, 1)
    report("chunked body", f"{r[0][0]} {r[0][1].decode()}" if r else "no answer")


def check_no_length():
    s = conn()
    s.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: x\r\n\r\n")
    r = read_responses(s, 1)
    report("POST without length", f"{r[0][0]} {r[0][1].decode()[:40]}" if r else "no answer")


def check_keepalive_pipelining():
    s = conn()
    ok = 0
    for _ in range(3):
        s.sendall(post())
        r = read_responses(s, 1)
        ok += bool(r and r[0][0] == 200)
    report("keep-alive", f"{ok}/3 requests on one connection")
    s = conn()
    s.sendall(get() + post() + get() + post(b'{"x":2}'))
    r = read_responses(s, 4)
    report("pipelining", "statuses in order: " + " ".join(str(x[0]) for x in r)
           + ("" if len(r) == 4 else f" ({len(r)}/4)"))
    s = conn()
    s.sendall(get("/nope"))
    r = read_responses(s, 1)
    try:
        s.sendall(get())
        r += read_responses(s, 1)
    except OSError:
        pass
    report("404, then a request", " ".join(str(x[0]) for x in r)
           + ("" if len(r) == 2 else " (connection closed after the 404)"))


def check_slow_headers():
    s = conn()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    s.settimeout(0.05)
    while time.time() - t0 < 12:
        try:
            s.sendall(b"X")
            if not s.recv(1):
                break
        except socket.timeout:
            time.sleep(0.95)
        except OSError:
            break
    else:
        report("slow headers (1 B/s)", "still open after 12 s: timeout reset by each byte")
        return
    report("slow headers (1 B/s)", f"closed after {time.time() - t0:.1f} s")


def check_slow_body():
    s = conn()
    s.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
    t0 = time.time()
    s.settimeout(0.05)
    while time.time() - t0 < 12:
        try:
            s.sendall(b" ")
            if not s.recv(1):
                break
        except socket.timeout:
            time.sleep(0.95)
        except OSError:
            break
    else:
        report("slow body (1 B/s)", "still open after 12 s: timeout reset by each byte")
        return
    report("slow body (1 B/s)", f"closed after {time.time() - t0:.1f} s")


def check_idle():
    s = conn()
    s.sendall(get())
    read_responses(s, 1)
    t = closed_after(s, 10)
    report("idle keep-alive", f"closed after {t:.1f} s" if t else "open after 10 s")
    s = conn()
    t = closed_after(s, 10)
    report("connect, send nothing", f"closed after {t:.1f} s" if t else "open after 10 s")


def check_max_conns():
    """12 connections against a limit of 8, every request sent before any
    answer is read, each read waiting 0.2 s: all within the 3 s timeout,
    so no slot frees up while counting."""
    socks = [conn() for _ in range(12)]
    time.sleep(0.3)
    for s in socks:
        try:
            s.sendall(get())
        except OSError:
            pass
    answered = 0
    for s in socks:
        try:
            answered += bool(read_responses(s, 1, timeout=0.2))
        except OSError:
            pass
    report("limit 8, open 12", f"{answered} answered, {12 - answered} closed or refused")
    for s in socks:
        s.close()


def check_drain(p):
    busy = conn()
    busy.sendall(post()[:-5])  # request in flight: body incomplete
    idle = conn()
    idle.sendall(get())
    read_responses(idle, 1)
    time.sleep(0.2)
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        c = conn(1)
        c.sendall(get())
        r = read_responses(c, 1, timeout=1)
        new = f"new connection answered {r[0][0]}" if r else "new connection accepted, not answered"
    except OSError:
        new = "new connection refused"
    busy.sendall(post()[-5:])
    r = read_responses(busy, 1)
    inflight = f"in-flight request {r[0][0]}" if r else "in-flight request lost"
    t = closed_after(idle, 12)
    idle_s = f"idle keep-alive closed after {t:.1f} s" if t else "idle keep-alive open 12 s"
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "killed"
    report("SIGTERM drain", f"{inflight}; {new}; {idle_s}; exit {rc} after {time.time() - t0:.1f} s")


def main():
    p = start()
    try:
        for f in (check_big_length, check_big_chunked, check_chunked_small,
                  check_no_length, check_keepalive_pipelining, check_slow_headers,
                  check_slow_body, check_idle, check_max_conns):
            try:
                f()
            except Exception as e:  # a check that breaks is a finding too
                report(f.__name__, f"error {e.__class__.__name__}: {e}")
            if p.poll() is not None:
                report("server", f"died with {p.returncode}")
                p = start()
        check_drain(p)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


main()
