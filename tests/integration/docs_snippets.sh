#!/usr/bin/env bash
# docs_snippets.sh - the examples in the docs are checked by the binary, so
# a doc can never drift from ferry again (issue 10, item 16).  Over
# README.md and docs/*.md:
#   - every code block is fenced with a language (```yaml, ```sh, ```text,
#     ...): an indented block or a bare fence could hide an example;
#   - every ```yaml block goes through `ferry validate` (the real YAML
#     parser, key table, expression/window compiler and model checks, no
#     data read).  A whole project is validated as written.  A fragment is
#     marked on its fence, ```yaml fragment=examples/NAME : its top-level
#     sections replace those of that example's ferry.yaml (others are
#     added), and the result is validated;
#   - every `ferry ...` command in a ```sh block names a command (and
#     subcommand) the binary has and only options its usage lists (from
#     `ferry help CMD`, `ferry features`, `ferry models help`); a value
#     listed as `a|b|c` in the usage must be one of them, and a --metric
#     value must be a metric the binary knows (checked as gate.metric);
#   - in a table whose first header cell is `key`, every first-column code
#     span, and every inline code span starting with a top-level section
#     (`model.num_rounds`), is a key of `ferry reference`'s key table.
# Prints every failure with its file:line and ends with a count.
set -euo pipefail
: "${FERRY_BIN:?}" "${FERRY_SRC:?}"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 - "$FERRY_BIN" "$FERRY_SRC" "$TMP" <<'PY'
import glob, os, re, shlex, subprocess, sys

ferry, src, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
docs = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md")))
failures, checked = [], 0

def fail(where, msg):
    if f"{where}: {msg}" not in failures:
        failures.append(f"{where}: {msg}")

def run(args, cwd=None):
    p = subprocess.run([ferry] + args, cwd=cwd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr

# ---- markdown: fenced blocks (line, info, text), indented blocks, tables
def scan(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    fences, indented = [], []
    i, prev_blank, in_list = 0, True, False
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^(\s*)```(.*)$", l)
        if m:
            start, info, body = i + 1, m.group(2).strip(), []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][len(m.group(1)):])
                i += 1
            fences.append((start, info, "\n".join(body) + "\n"))
            i += 1
            prev_blank = False
            continue
        if prev_blank and l.startswith("    ") and l.strip() and not in_list:
            indented.append(i + 1)
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                i += 1
            continue
        if not l.strip():
            prev_blank = True
        else:
            prev_blank = False
            in_list = bool(re.match(r"\s*([-*]|\d+\.)\s", l)) or (in_list and l.startswith(" "))
        i += 1
    return lines, fences, indented

# ---- the key table, from the binary
_, ref = run(["reference"])
key_paths, bare_keys, sections = [], set(), set()
section = None
for l in ref.split("\n"):
    m = re.match(r"^## (.*)$", l)
    if m:
        section = m.group(1).strip()
        if section == "Commands":
            section = None
        elif section != "top level":
            sections.add(section)
        continue
    m = re.match(r"^\| `([^`]+)` \|", l)
    if m and section:
        key = m.group(1)
        bare_keys.add(key)
        key_paths.append(key if section == "top level" else section + "." + key)
top_keys = {k for k in key_paths if "." not in k and "[" not in k}

def path_re(p):
    out = ""
    for part in re.split(r"(<[a-z]+>|\[\])", p):
        if part in ("<name>", "<col>"):
            out += r"[^.]+"
        elif part == "[]":
            out += r"(\[\d*\])?"
        else:
            out += re.escape(part)
    return out

known = [re.compile("^" + path_re(p) + "$") for p in key_paths + sorted(sections)]
# pass-through maps: any key below them
known += [re.compile("^" + path_re(p) + r"\..+$") for p in ("model.params", "search.space")]

def key_ok(span):
    return any(r.match(span) for r in known)

# ---- commands and their usage, from the binary
_, helptext = run(["help"])
commands = set(re.findall(r"^  (\S+)\s", helptext.split("commands:")[1], re.M))
usage = {}
for c in commands:
    _, t = run(["help", c])
    usage[(c,)] = t.split("\n")[0]
_, t = run(["features"])
for m in re.finditer(r"^\s+ferry features (\S+)(.*)$", t, re.M):
    usage[("features", m.group(1))] = m.group(2)
_, t = run(["models", "help"])
for m in re.finditer(r"^\s+ferry models (\S+)(.*)$", t, re.M):
    usage[("models", m.group(1))] = m.group(2)
subcommands = {c: {k[1] for k in usage if len(k) == 2 and k[0] == c} for c in commands}

def options_of(text):
    opts = {}
    for m in re.finditer(r"(--[a-z][a-z-]*)(?:[ =]([a-z][a-z0-9|]*\|[a-z0-9|]+))?", text):
        opts.setdefault(m.group(1), m.group(2).split("|") if m.group(2) else None)
    return opts

GLOBAL_ARG = {"-C", "-f", "--set", "--registry"}
GLOBAL_FLAG = {"--quiet", "-q", "--json", "--help", "-h", "--version"}
metric_cache = {}

def metric_ok(v):
    if v not in metric_cache:
        rc, _ = run(["-C", os.path.join(src, "examples", "credit-risk"),
                     "--set", "gate.metric=" + v, "validate"])
        metric_cache[v] = rc == 0
    return metric_cache[v]

def check_command(where, toks):
    i = 1
    while i < len(toks) and toks[i].startswith("-"):
        t = toks[i].split("=")[0]
        if t in GLOBAL_ARG:
            i += 1 if "=" in toks[i] else 2
        elif t in GLOBAL_FLAG:
            i += 1
        else:
            return fail(where, f"unknown global option '{toks[i]}'")
    if i >= len(toks):
        return
    cmd = toks[i]
    if cmd not in commands:
        return fail(where, f"'ferry {cmd}': no such command")
    key, i = (cmd,), i + 1
    if subcommands.get(cmd):
        sub = toks[i].strip("[]") if i < len(toks) else None
        if sub not in subcommands[cmd] and sub != "help":
            return fail(where, f"'ferry {cmd} {sub}': no such subcommand ({', '.join(sorted(subcommands[cmd]))})")
        key, i = (cmd, sub), i + 1
    opts = options_of(usage.get(key, ""))
    for j in range(i, len(toks)):
        t = toks[j].strip("[]")
        if not t.startswith("--"):
            continue
        name, _, val = t.partition("=")
        if name == "--json":
            continue
        if name not in opts:
            fail(where, f"'ferry {' '.join(key)}' has no option {name} (usage: {usage.get(key, '').strip()})")
            continue
        if not val and j + 1 < len(toks) and not toks[j + 1].startswith(("-", "[-")):
            val = toks[j + 1].strip("[]")
        if opts[name] and val and val not in opts[name]:
            fail(where, f"{name} {val}: not one of {', '.join(opts[name])}")
        if name == "--metric" and val and re.match(r"^[a-z0-9_]+$", val) and not metric_ok(val):
            fail(where, f"--metric {val}: ferry knows no such metric")

def check_sh(path, line0, text):
    global checked
    logical, start = "", line0
    for k, l in enumerate(text.split("\n")):
        if not logical:
            start = line0 + 1 + k
        if l.endswith("\\"):
            logical += l[:-1] + " "
            continue
        logical += l
        s = re.sub(r"^\s*\$\s+", "", logical)
        logical = ""
        try:
            toks = shlex.split(s, comments=True)
        except ValueError as ex:
            fail(f"{path}:{start}", f"cannot split shell line: {ex}")
            continue
        seg = []
        for t in toks + [";"]:
            if t in ("|", "||", "&&", ";", "&", ">", ">>", "<", "2>"):
                if seg and os.path.basename(seg[0]) == "ferry":
                    checked += 1
                    check_command(f"{path}:{start}", seg)
                seg = [] if t not in (">", ">>", "<", "2>") else ["<redirect>"]
            else:
                seg.append(t)

def merge(base, frag):
    """Top-level sections of frag replace base's (others are appended)."""
    def sections_of(text):
        out, cur = [], None
        for l in text.split("\n"):
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", l)
            if m:
                cur = [m.group(1), []]
                out.append(cur)
            if cur is None:
                out.append([None, []])
                cur = out[-1]
            cur[1].append(l)
        return out
    b, f = sections_of(base), sections_of(frag)
    fkeys = {k for k, _ in f if k}
    text = "\n".join("\n".join(ls) for k, ls in b if k not in fkeys)
    return text.rstrip("\n") + "\n" + "\n".join("\n".join(ls) for k, ls in f if k) + "\n"

def check_yaml(path, line0, info, text):
    global checked
    checked += 1
    where = f"{path}:{line0}"
    attrs = dict(a.split("=", 1) for a in info.split()[1:] if "=" in a)
    words = info.split()[1:]
    d = os.path.join(tmp, "y%d" % checked)
    os.makedirs(d)
    if "fragment" in attrs:
        base = os.path.join(src, attrs["fragment"], "ferry.yaml")
        if not os.path.exists(base):
            return fail(where, f"fragment base {attrs['fragment']}/ferry.yaml does not exist")
        text = merge(open(base, encoding="utf-8").read(), text)
    elif words:
        return fail(where, f"unknown fence attribute(s) '{' '.join(words)}' (fragment=examples/NAME)")
    elif not (re.search(r"^name\s*:", text, re.M) and re.search(r"^sources\s*:", text, re.M)):
        return fail(where, "yaml block is neither a whole project (name:, sources:) nor "
                    "marked ```yaml fragment=examples/NAME")
    with open(os.path.join(d, "ferry.yaml"), "w", encoding="utf-8") as fh:
        fh.write(text)
    rc, out = run(["validate"], cwd=d)
    if rc != 0:
        fail(where, "ferry validate: " + out.strip().replace("\n", " | "))

def check_keys(path, lines):
    global checked
    in_key_table = False
    for n, l in enumerate(lines, 1):
        if l.startswith("|"):
            cells = [c.strip() for c in l.strip().strip("|").split("|")]
            if cells and cells[0].lower() == "key":
                in_key_table = True
                continue
            if in_key_table and not set(cells[0]) <= set("-: "):
                for span in re.findall(r"`([^`]+)`", cells[0]):
                    checked += 1
                    if not (key_ok(span) or span in bare_keys):
                        fail(f"{path}:{n}", f"`{span}` is not a ferry.yaml key (ferry reference)")
        else:
            in_key_table = False
        if path.endswith("reference.md"):
            continue
        for span in re.findall(r"`([a-z_]+(?:\[\d*\])?(?:\.[A-Za-z_<>\[\]0-9]+)+)`", l):
            first = re.split(r"[.\[]", span)[0]
            if first in top_keys and not span.endswith((".csv", ".json", ".yaml", ".fcol", ".sqlite", ".md")):
                checked += 1
                if not key_ok(span):
                    fail(f"{path}:{n}", f"`{span}` is not a ferry.yaml key (ferry reference)")

# The checker must be able to fail: known-bad snippets (the drift this test
# was written for) are refused, each with its reason, before the docs run.
canaries = [
    ("yaml", "yaml fragment=examples/credit-risk",
     "features:\n  - name: n\n    kind: window\n    agg: count\n", "unknown key 'kind'"),
    ("yaml", "yaml fragment=examples/credit-risk",
     "features:\n  - {name: a, expr: 'loan_amout * 2'}\n", "unknown column 'loan_amout'"),
    ("yaml", "yaml fragment=examples/credit-risk",
     "features:\n  - {name: a, window: mean, of: loan_amount, over: 3x}\n", "duration '3x'"),
    ("yaml", "yaml fragment=examples/price-forecast",
     "sources:\n  precios:\n    path: p.csv\n    columns:\n      precio: {type: float, thousands: \".\"}\n",
     "decimal and thousands separators are both '.'"),
    ("yaml", "yaml fragment=examples/credit-risk", "model:\n  metric: roc_auc\n", "unknown metric 'roc_auc'"),
    ("yaml", "yaml", "features:\n  - {name: a, expr: x}\n", "neither a whole project"),
    ("sh", "sh", "ferry models promote credit 3 --metric roc_auc\n", "--metric roc_auc"),
    ("sh", "sh", "ferry train --promote --dry-run\n", "has no option --dry-run"),
    ("sh", "sh", "ferry features sql --dialect mysql\n", "not one of sqlite"),
    ("sh", "sh", "ferry model list\n", "no such command"),
    ("keys", None, "| key | meaning |\n| --- | --- |\n| `train.seed` | x |\n", "`train.seed` is not a ferry.yaml key"),
]
for kind, info, text, want in canaries:
    before = len(failures)
    if kind == "yaml":
        check_yaml("canary", 0, info, text)
    elif kind == "sh":
        check_sh("canary", 0, text)
    else:
        check_keys("canary", text.split("\n"))
    got = failures[before:]
    del failures[before:]
    if not any(want in g for g in got):
        print(f"FAIL canary: {text.strip()!r} was not refused with {want!r}: {got}")
        sys.exit(1)
print(f"checker: {len(canaries)} known-bad snippets refused")
checked = 0

for path in docs:
    rel = os.path.relpath(path, src)
    lines, fences, indented = scan(path)
    for n in indented:
        checked += 1
        fail(f"{rel}:{n}", "indented code block: fence it with a language (```sh, ```yaml, ```text, ...)")
    for line0, info, text in fences:
        lang = info.split()[0] if info else ""
        if not lang:
            checked += 1
            fail(f"{rel}:{line0}", "code fence without a language")
        elif lang == "yaml":
            check_yaml(rel, line0, info, text)
        elif lang in ("sh", "bash", "console", "shell"):
            check_sh(rel, line0, text)
    check_keys(rel, lines)

for f in failures:
    print("FAIL", f)
print(f"docs snippets: {len(failures)} failed of {checked} checked "
      f"({len(docs)} files)")
sys.exit(1 if failures else 0)
PY
