# Hostile files where ferry reads and writes (issue 10, items 9 and 10):
# damaged online stores, outputs that are directories, FIFOs or missing
# directories.  Sourced by ../hostile_input.sh in a fresh directory; see it
# for `hostile`.
"$FERRY_BIN" -q init credit-risk . --rows 2000
"$FERRY_BIN" -q features build
DB=out/online.sqlite
cp "$DB" good.sqlite
restore() { cp good.sqlite "$DB"; }

# A damaged online store is reported as such, by name; nothing is served.
sqlite3 "$DB" "UPDATE features SET loan_amount = 1 WHERE id = 5000049"
hostile "$DB: online store is corrupt: its rows do not hash" features show 5000049
restore; sqlite3 "$DB" "DELETE FROM features WHERE id = 5000049"
hostile "$DB: online store is corrupt: it holds" features show 5000049
# (another entity's row: the whole store is checked, not only the row served)
restore; sqlite3 "$DB" "UPDATE features SET age = 'old' WHERE id = (SELECT max(id) FROM features)"
hostile "column 'age' holds a value that is not int" features show 5000049
restore
python3 -c "
f = open('$DB', 'r+b'); f.seek(4 * 4096); f.write(b'\x5a' * 4096)"
hostile "$DB: online store is corrupt" features show 5000049
echo "not a database" > "$DB"
hostile "$DB: online store is corrupt: file is not a database" features show 5000049
restore; sqlite3 "$DB" "UPDATE meta SET value = 'ferry-online-1' WHERE key = 'format'"
hostile "format 'ferry-online-1'" features show 5000049
restore

# Outputs: a directory or a missing directory is refused before any work,
# by name; an online store path that is not a file is never renamed over.
mkdir adir
hostile "missing/x.csv: cannot be written: directory missing" predict --output missing/x.csv
hostile "adir: is a directory" predict --output adir
hostile "missing/r.csv: cannot be written" predict --rejects missing/r.csv
mv out/features.csv features.csv.keep; mkdir out/features.csv
hostile "out/features.csv: is a directory" features build
rmdir out/features.csv; mv features.csv.keep out/features.csv
mkfifo store.fifo
hostile "store.fifo: exists and is not a regular file" --set online.path=store.fifo features build
# A full device as --output: ENOSPC by name, and the node stays a device (as
# root, a private node: an old binary renamed a regular file over it).
"$FERRY_BIN" -q train --promote > /dev/null
FULL=/dev/full
[ "$(id -u)" = 0 ] && mknod full c 1 7 && FULL=full
hostile "$FULL: write failed: No space left on device" predict --output "$FULL"
[ -c "$FULL" ] || { echo "FAIL [io] $FULL is no longer a character device" >&2; NFAIL=$((NFAIL + 1)); }
