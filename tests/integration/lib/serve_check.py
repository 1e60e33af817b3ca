"""serve_check.py - the HTTP checks of tests/integration/serve.sh.

    serve_check.py PORT PIDFILE-unused MODE ARGS...

MODE parity RECORDS.csv SCORES.csv: the server's scores of the records
    (sent as the CSV's text, and again typed as JSON numbers) equal
    `ferry predict`'s, exactly.
MODE errors: the 400/404/405/413/415 answers and the probes.
MODE docs DOC.md: each example of docs/serve.md, status and shape.
MODE drain PID: a request in flight when SIGTERM arrives is answered.
"""
import csv
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

PORT = int(sys.argv[1])
BASE = f"http://127.0.0.1:{PORT}"


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if ctype and data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def jcall(*a, **k):
    st, body, h = call(*a, **k)
    try:
        return st, json.loads(body), h
    except ValueError:
        return st, body, h


def parity(records_csv, scores_csv):
    rows = list(csv.DictReader(open(records_csv)))
    want = [float(r["score"]) for r in csv.DictReader(open(scores_csv))]
    if len(want) < 150:
        fail(f"predict scored only {len(want)} records")

    def typed(r):
        out = {}
        for k, v in r.items():
            if v == "":
                out[k] = None
                continue
            try:
                out[k] = int(v)
            except ValueError:
                try:
                    out[k] = float(v)
                except ValueError:
                    out[k] = v
        return out

    for name, recs in (("text", rows), ("typed", [typed(r) for r in rows])):
        st, doc, _ = jcall("POST", "/v1/models/credit-risk/predict",
                           {"records": recs})
        if st != 200:
            fail(f"{name}: status {st}: {doc}")
        got = [x["score"] for x in doc["results"] if "score" in x]
        if got != want:
            bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
            fail(f"{name}: {len(got)} scores vs predict's {len(want)}; "
                 f"first differences at {bad[:5]}")
        print(f"parity ({name}): {len(got)} scores equal to ferry predict's")


def expect_error(st, doc, status, code, path):
    if st != status:
        fail(f"status {st}, expected {status}: {doc}")
    e = doc.get("error") if isinstance(doc, dict) else None
    if not e or e.get("code") != code or e.get("path") != path or not e.get("message"):
        fail(f"error body for {status}: {doc}")


def errors():
    P = "/v1/models/credit-risk/predict"
    expect_error(*jcall("POST", P, b"{not json")[:2], 400, "parse_error", "$")
    expect_error(*jcall("POST", P, [1, 2])[:2], 400, "type_error", "$")
    expect_error(*jcall("POST", P, {"records": "x"})[:2], 400, "type_error", "$.records")
    expect_error(*jcall("POST", P, {"rows": []})[:2], 400, "type_error", "$.records")
    expect_error(*jcall("POST", P, {"records": [{}] * 1001})[:2], 400,
                 "limit_exceeded", "$.records")
    st, doc, _ = jcall("POST", "/v1/models/nope/predict", {"records": []})
    expect_error(st, doc, 404, "not_found", "$")
    if "'nope'" not in doc["error"]["message"]:
        fail(f"404 does not name the model: {doc}")
    expect_error(*jcall("GET", "/nowhere")[:2], 404, "not_found", "$")
    st, doc, h = jcall("GET", P)
    expect_error(st, doc, 405, "method_not_allowed", "$")
    if h.get("Allow") != "POST":
        fail(f"405 Allow header: {h.get('Allow')}")
    expect_error(*jcall("POST", P, b'{"records": []}', ctype="text/plain")[:2],
                 415, "unsupported_media_type", "$")
    expect_error(*jcall("POST", P, b'{"records": []}', ctype=None)[:2],
                 415, "unsupported_media_type", "$")
    st, _, _ = call("POST", P, b'{"records": []}', ctype="application/json; charset=utf-8")
    if st != 200:
        fail(f"charset parameter refused: {st}")
    # over the 1 MiB default: refused on the Content-Length, before the
    # body (so urllib would meet a closed socket while sending it)
    s = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n"
              % (P.encode(), (1 << 20) + 1))
    got = s.recv(4096)
    s.close()
    if not got.startswith(b"HTTP/1.1 413"):
        fail(f"a body of 1 MiB + 1: {got[:100]!r}, expected 413")
    # record-level errors: the others are still scored
    st, doc, _ = jcall("POST", P, {"records": [7, {"id": [1]}]})
    r = doc["results"]
    if st != 200 or r[0]["error"]["path"] != "$.records[0]" or \
            r[1]["error"]["path"] != "$.records[1].id":
        fail(f"record errors: {doc}")
    for path in ("/healthz", "/readyz"):
        st, doc, _ = jcall("GET", path)
        if st != 200:
            fail(f"{path}: {st} {doc}")
    st, doc, _ = jcall("GET", "/v1/models")
    m = doc["models"]
    names = [f["name"] for f in m[0]["inputs"]["fields"]]
    if st != 200 or len(m) != 1 or m[0]["name"] != "credit-risk" or \
            m[0]["version"] != 1 or "loan_amount" not in names:
        fail(f"/v1/models: {doc}")
    print("errors, probes and /v1/models: as documented")


def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v]
    if isinstance(v, float):
        return "real"
    return v


def docs(doc_md):
    text = open(doc_md).read()
    n = 0
    for part in text.split("<!-- example: ")[1:]:
        head, rest = part.split(" -->", 1)
        method, path, status = head.split()
        blocks = rest.split("```json\n")
        req = json.loads(blocks[1].split("```")[0])
        resp = json.loads(blocks[2].split("```")[0])
        st, got, _ = jcall(method, path, req)
        if st != int(status) or shape(got) != shape(resp):
            fail(f"docs example {method} {path}: {st}\n{got}\n!=\n{resp}")
        n += 1
    if n < 3:
        fail(f"only {n} examples in {doc_md}")
    print(f"docs/serve.md: {n} examples answered as written")


def drain(pid):
    body = json.dumps({"records": []}).encode()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    s.sendall(b"POST /v1/models/credit-risk/predict HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
    time.sleep(0.3)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.5)
    # no new connections once the listeners are closed
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
        fail("a new connection was accepted after SIGTERM")
    except OSError:
        pass
    s.sendall(body[5:])
    got = b""
    while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    if not got.startswith(b"HTTP/1.1 200"):
        fail(f"in-flight request after SIGTERM: {got[:200]!r}")
    print("drain: the request in flight at SIGTERM was answered 200")


mode = sys.argv[2]
if mode == "parity":
    parity(sys.argv[3], sys.argv[4])
elif mode == "errors":
    errors()
elif mode == "docs":
    docs(sys.argv[3])
elif mode == "drain":
    drain(int(sys.argv[3]))
else:
    fail(f"unknown mode {mode}")
