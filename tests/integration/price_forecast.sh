#!/usr/bin/env bash
# Reference use case 3: monthly series with CRLF line ends, Spanish month
# names, thousands separators and an invalid date, joined as-of to a macro
# series with gaps; lags and rolling mean/std of previous months.  Checked
# row by row against pandas (merge_asof, shift, rolling) and against the
# project's own SQL export refuses (naming the column) what no SQL engine can
# parse; then a regression model trains on it with a time split.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/data"
# the example's own generator (examples/price-forecast/gen_data.py)
/usr/bin/python3 "$FERRY_SRC/examples/price-forecast/gen_data.py" "$TMP/data"
F=("$FERRY_BIN" -C "$FERRY_SRC/examples/price-forecast" --set "sources.precios.path=$TMP/data/precios.csv"
   --set "sources.macro.path=$TMP/data/macro.csv" --set "output.dir=$TMP/out" --set "registry.path=$TMP/reg")
"${F[@]}" features build | tee "$TMP/build.log"
grep -q "read precios: 120 rows, 1 rejected" "$TMP/build.log"
grep -q "Ago-20x4" "$TMP/out/rejects-precios.csv"
/usr/bin/python3 - "$TMP/data" "$TMP/out/features.csv" <<'PY'
import sys
import numpy as np
import pandas as pd
d, got_path = sys.argv[1], sys.argv[2]
meses = {m: i + 1 for i, m in enumerate(["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"])}
raw = pd.read_csv(f"{d}/precios.csv", dtype=str)
def month(s):
    m, y = s.split("-")
    return pd.Timestamp(int(y), meses[m], 1) if y.isdigit() else pd.NaT
raw["mes"] = raw["mes"].map(month)
raw = raw.dropna(subset=["mes"]).reset_index(drop=True)
raw["precio"] = raw["precio"].str.replace(".", "", regex=False).str.replace(",", ".", regex=False).astype(float)
macro = pd.read_csv(f"{d}/macro.csv", parse_dates=["periodo"])
df = pd.merge_asof(raw.sort_values("mes"), macro.sort_values("periodo"), left_on="mes", right_on="periodo",
                   direction="backward", tolerance=pd.Timedelta(days=62))
exp = pd.DataFrame({
    "mes": df["mes"].dt.strftime("%Y-%m-%d"),
    "macro_imacec": df["imacec"],
    "precio_lag1": df["precio"].shift(1),
    "precio_lag12": df["precio"].shift(12),
    "precio_mean3": df["precio"].rolling(3, min_periods=1).mean().shift(1),
    # exact two-pass std per window (pandas' online rolling std drifts ~1e-9 here)
    "precio_std3": df["precio"].rolling(3, min_periods=2).apply(lambda a: np.std(a, ddof=1), raw=True).shift(1),
    "imacec_lag1": df["imacec"].shift(1),
    "month": df["mes"].dt.month,
    "precio": df["precio"],
})
got = pd.read_csv(got_path)
assert list(got.columns) == list(exp.columns), (list(got.columns), list(exp.columns))
assert len(got) == len(exp) == 120, len(got)
bad = []
for c in exp.columns:
    a, b = exp[c], got[c]
    if a.dtype == object:
        ok = (a.values == b.values)
    else:
        ok = np.isclose(a.astype(float), b.astype(float), rtol=1e-9, equal_nan=True)
    if not ok.all():
        i = int(np.argmin(ok))
        bad.append(f"{c}: row {i}: pandas {a.iloc[i]!r} ferry {b.iloc[i]!r}")
if bad:
    sys.exit("\n".join(bad))
print("price forecast: ferry equals pandas (merge_asof, shift, rolling) on 120 rows x 9 columns")
PY
# SQL engines cannot parse "Ene-2014": the export says which column, not a wrong query
if "${F[@]}" features sql --dialect sqlite > /dev/null 2> "$TMP/sql.err"; then
  echo "features sql should refuse the Spanish month format" >&2; exit 1
fi
grep -q "sources.precios.columns.mes: format '%b-%Y' has no SQL translation" "$TMP/sql.err"
# The same project on ISO-formatted files: its SQL (as-of join, lags,
# rolling windows) run by SQLite equals ferry's table.
/usr/bin/python3 - "$TMP/data" <<'PY'
import csv, sys
d = sys.argv[1]
meses = ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"]
rows = list(csv.reader(open(f"{d}/precios.csv", newline="")))
with open(f"{d}/precios_iso.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(rows[0])
    for m, p in rows[1:]:
        mon, y = m.split("-")
        if y.isdigit():
            w.writerow([f"{y}-{meses.index(mon) + 1:02d}-01", p.replace(".", "").replace(",", ".")])
PY
G=("$FERRY_BIN" -q -C "$FERRY_SRC/examples/price-forecast" --set "sources.precios.path=$TMP/data/precios_iso.csv"
   --set "sources.macro.path=$TMP/data/macro.csv" --set "output.dir=$TMP/iso"
   --set "sources.precios.columns.mes={type: date}" --set "sources.precios.columns.precio=float")
"${G[@]}" features build
"${G[@]}" features sql --dialect sqlite > "$TMP/q.sql"
sqlite3 "$TMP/s.db" ".import --csv $TMP/data/precios_iso.csv precios" ".import --csv $TMP/data/macro.csv macro"
sqlite3 -csv -header "$TMP/s.db" < "$TMP/q.sql" > "$TMP/sqlite.csv"
# rtol 1e-7: SQLite has no STDDEV, and the std rebuilt from sums of squares
# cancels on prices near 1e6 (ferry's own std is exact to numpy's two-pass)
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/compare_csv.py" --rtol 1e-7 --label "price forecast: sqlite vs ferry" \
  "$TMP/sqlite.csv" "$TMP/iso/features.csv"
"${F[@]}" train | tee "$TMP/train.log"
grep -q "^test .* rmse " "$TMP/train.log"
echo "price forecast: joins, lags, rolling stats and a time-split regression"
