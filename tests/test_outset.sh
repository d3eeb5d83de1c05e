#!/usr/bin/env bash
# test_outset.sh ALIGNSIM — fault tests of the output sets (sim/as_io.h,
# "Output sets"; issue 12).  Each case asserts the old-or-new invariant:
# after a fault the output location holds the previous set or the new set,
# byte for byte, never a mix.
#  1. `sample` (a directory set): kill -9 at the commit's rename, a failed
#     rename, the two-rename fallback killed between its renames (and the
#     old set restored by the next run), SIGTERM (temporaries removed),
#     stale staging directories cleaned by the next run.
#  2. `run` killed at its commit: results.csv, summary.csv and manifest
#     are all the old run's.
#  3. `fit` (a file set sealed by FILE.manifest): kill -9 at every rename
#     step and a failed rename at every step.
#  4. a full disk (a 256 KiB tmpfs, mounted in a user namespace or as root;
#     skipped with a message where neither is possible): `sample` is
#     refused up front (it knows a bound on its files), `run` fails writing
#     (exit 1); both say "no space left on device", leave the old set
#     intact and nothing behind (no empty directory).
#  5. a read-only target (the same tmpfs remounted read-only, or chmod
#     when not root): refused before any computation, exit 2, set intact.
# The faults come from the ALIGNSIM_FAULT hook (sim/as_outset.c).
set -u
A=${1:?usage: test_outset.sh ALIGNSIM}
A=$(cd "$(dirname "$A")" && pwd)/$(basename "$A")
T=$(mktemp -d /tmp/test_outset.XXXXXX)
trap 'umount "$T/m" 2>/dev/null; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# the set's contents, one line per file: name and checksum (staging and
# temporaries included, so a leftover shows)
# (a manifest's date line differs between two runs of one command: left out)
snap() { [ -n "$1" ] && [ -d "$1" ] || return 0; (cd "$1" && for f in $(ls -A | sort); do echo "$f $(grep -v '^date = ' "$f" | md5sum)"; done); }
leftovers() { find "$T" \( -name '.*.staging.*' -o -name '.*.old.*' -o -name '*.tmp.*' -o -name '*.old.*' \) | wc -l; }
sample() { "$A" sample --K 2 --V 3 --n 50 "$@"; }

# ---- 1. sample: a directory set
D=$T/s/out
sample --seed 2 --out "$D" || bad "sample seed 2"
new=$(snap "$D")
sample --seed 1 --out "$D" || bad "sample seed 1"
old=$(snap "$D")
check "two seeds give different sets" test "$old" != "$new"
ALIGNSIM_FAULT=kill:1 sample --seed 2 --out "$D" 2>/dev/null
check "kill -9 at the exchange: exit 137" test $? -eq 137
check "kill -9 at the exchange: old set intact" test "$(snap "$D")" = "$old"
check "kill -9 at the exchange: staging left (to be cleaned)" test "$(leftovers)" -eq 1
ALIGNSIM_FAULT=fail:1 sample --seed 2 --out "$D" 2>"$T/err"
check "failed rename: exit 1" test $? -eq 1
check "failed rename: old set intact" test "$(snap "$D")" = "$old"
check "failed rename: stale and own staging removed" test "$(leftovers)" -eq 0
check "failed rename: one-line message" test "$(wc -l < "$T/err")" -eq 1
sample --seed 2 --out "$D"
check "commit over a previous set: new set" test "$(snap "$D")" = "$new"
sample --seed 1 --out "$D"
# fallback without RENAME_EXCHANGE: killed between its two renames the
# target is missing and the old set waits in .out.old.PID ...
ALIGNSIM_FAULT=noexchange,kill:2 sample --seed 2 --out "$D" 2>/dev/null
check "fallback killed between renames: exit 137" test $? -eq 137
check "fallback killed between renames: old set kept aside" \
  test "$(snap "$(find "$T/s" -maxdepth 1 -name '.out.old.*')")" = "$old"
# ... and the next run into the same place renames it back before its
# own commit (which fails here, so the restored set is what remains)
ALIGNSIM_FAULT=fail:1 sample --seed 2 --out "$D" 2>/dev/null
check "fallback: old set restored by the next run" test "$(snap "$D")" = "$old"
check "fallback: nothing left behind" test "$(leftovers)" -eq 0
ALIGNSIM_FAULT=noexchange,fail:2 sample --seed 2 --out "$D" 2>/dev/null
check "fallback, second rename fails: old set put back" test "$(snap "$D")" = "$old"
ALIGNSIM_FAULT=noexchange sample --seed 2 --out "$D"
check "fallback commit: new set" test "$(snap "$D")" = "$new"
sample --seed 1 --out "$D"
ALIGNSIM_FAULT=term:1 sample --seed 2 --out "$D" 2>/dev/null
check "SIGTERM at the commit: killed by the signal" test $? -eq 143
check "SIGTERM: old set intact" test "$(snap "$D")" = "$old"
check "SIGTERM: staging and temporaries removed" test "$(leftovers)" -eq 0
check "a new directory: no stale staging" test "$(ls -A "$T/s" | wc -l)" -eq 1

# ---- 2. run: results.csv, summary.csv, manifest never mixed
cat > "$T/r.cfg" <<'CFG'
experiment = "faults";
instance = { K = 2; V = 3; };
beta = 1.0;
n = [100, 1000];
lambda = [0.1, 1.0];
methods = ["rkl"];
replicates = 2;
seed = 5;
CFG
R=$T/r/out
"$A" run "$T/r.cfg" --out "$R" --no-plots >/dev/null 2>&1 || bad "run"
rold=$(snap "$R")
sed -i 's/seed = 5/seed = 6/' "$T/r.cfg"
(ALIGNSIM_FAULT=kill:1 exec "$A" run "$T/r.cfg" --out "$R" --no-plots >/dev/null 2>&1) 2>/dev/null
check "run killed at its commit: exit 137" test $? -eq 137
# (plus the killed run's journal, kept for `run --resume`: as_journal.h)
check "run killed at its commit: the old run's set" \
  test "$(snap "$R" | grep -v '^journal ')" = "$rold"
check "run killed at its commit: its journal kept for --resume" \
  test -s "$R/journal"
"$A" run "$T/r.cfg" --out "$R" --no-plots >/dev/null 2>&1
check "run after the kill: new set, stale staging gone" \
  test "$(snap "$R")" != "$rold" -a "$(leftovers)" -eq 0
check "run: new results and summary together" \
  grep -q 'seed = 6' "$R/manifest"

# ---- 3. fit: FILE and FILE.manifest, sealed by the manifest
sample --seed 3 --out "$T/d"
fit() { "$A" fit --comparisons "$T/d/comparisons.tsv" --method rkl --out "$T/f/p.tsv" "$@" >/dev/null; }
mkdir -p "$T/f"
fit --lambda 0.5 || bad "fit"
fold=$(snap "$T/f")
fit --lambda 0.7 && fnew=$(snap "$T/f")
fit --lambda 0.5
# invariant: when p.tsv.manifest exists, it describes p.tsv
sealed() {
  [ ! -e "$T/f/p.tsv.manifest" ] && return 0
  local s; s=$(snap "$T/f" | grep -v '\.old\.\|\.tmp\.')
  [ "$s" = "$fold" ] || [ "$s" = "$fnew" ]
}
for step in 1 2 3; do
  fit --lambda 0.5
  ALIGNSIM_FAULT=kill:$step fit --lambda 0.7 2>/dev/null
  check "fit killed at rename $step: exit 137" test $? -eq 137
  check "fit killed at rename $step: manifest describes the file" sealed
  fit --lambda 0.5
  check "fit after the kill at $step: stale files removed" test "$(leftovers)" -eq 0
  ALIGNSIM_FAULT=fail:$step fit --lambda 0.7 2>/dev/null
  check "fit rename $step fails: exit 1" test $? -eq 1
  check "fit rename $step fails: old pair intact" test "$(snap "$T/f")" = "$fold"
done

# ---- 4, 5. a full disk and a read-only target on a small tmpfs
M=$T/m
mkdir -p "$M"
cat > "$T/disk.sh" <<SH
set -u
mount -t tmpfs -o size=256k tmpfs "$M" || exit 77
"$A" sample --K 1 --V 2 --n 5 --seed 1 --out "$M/out" || exit 3
before=\$(cd "$M/out" && md5sum * | sort)
"$A" sample --K 40 --V 40 --n 100000 --seed 2 --out "$M/out" 2>"$T/full.err"
echo "full_rc \$?"
echo "full_intact \$([ "\$before" = "\$(cd "$M/out" && md5sum * | sort)" ] && echo 1 || echo 0)"
echo "full_left \$(ls -A "$M" | wc -l)"
echo "full_msg \$(grep -ci 'no space left on device' "$T/full.err")"
"$A" sample --K 40 --V 40 --n 100000 --seed 2 --out "$M/new" 2>"$T/full2.err"
echo "new_rc \$?"
echo "new_left \$(ls -A "$M" | wc -l)"
echo "new_msg \$(grep -ci 'no space left on device' "$T/full2.err")"
echo "new_eio \$(grep -c 'Input/output error' "$T/full2.err")"
dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null   # the disk is now full
"$A" run "$T/r.cfg" --out "$M/run" --no-plots --quiet 2>"$T/full3.err"
echo "run_rc \$?"
echo "run_left \$([ -e "$M/run" ] && echo 1 || echo 0)"
echo "run_msg \$(grep -c 'No space left on device' "$T/full3.err")"
rm -f "$M/fill"
mount -o remount,ro "$M"
"$A" sample --K 1 --V 2 --n 5 --seed 3 --out "$M/out" 2>"$T/ro.err"
echo "ro_rc \$?"
echo "ro_intact \$([ "\$before" = "\$(cd "$M/out" && md5sum * | sort)" ] && echo 1 || echo 0)"
echo "ro_msg \$(grep -ci 'read-only' "$T/ro.err")"
umount "$M"
SH
if unshare -rm true 2>/dev/null; then
  unshare -rm bash "$T/disk.sh" > "$T/disk.out"; drc=$?
elif [ "$(id -u)" -eq 0 ]; then
  bash "$T/disk.sh" > "$T/disk.out"; drc=$?
else
  drc=77
fi
if [ "$drc" -eq 77 ]; then
  echo "SKIP: full disk and read-only tmpfs: cannot mount a tmpfs here (no user namespaces, not root)"
else
  v() { awk -v k="$1" '$1 == k { print $2 }' "$T/disk.out"; }
  # sample knows an upper bound of its files: refused before drawing
  check "full disk: sample refused up front, exit 2" test "$(v full_rc)" = 2
  check "full disk: says no space left" test "$(v full_msg)" = 1
  check "full disk: old set intact" test "$(v full_intact)" = 1
  check "full disk: nothing left beside it" test "$(v full_left)" = 1
  check "full disk, new target: exit 2" test "$(v new_rc)" = 2
  check "full disk, new target: no space left, not an I/O error" \
    test "$(v new_msg)" = 1 -a "$(v new_eio)" = 0
  check "full disk, new target: no empty directory left" test "$(v new_left)" = 1
  check "full disk, run: exit 1" test "$(v run_rc)" = 1
  check "full disk, run: says no space left" test "$(v run_msg)" = 1
  check "full disk, run: no empty directory left" test "$(v run_left)" = 0
  check "read-only target: exit 2 before computing" test "$(v ro_rc)" = 2
  check "read-only target: says read-only" test "$(v ro_msg)" = 1
  check "read-only target: set intact" test "$(v ro_intact)" = 1
fi
# a read-only directory by permissions (not meaningful as root)
if [ "$(id -u)" -ne 0 ]; then
  sample --seed 1 --out "$T/p"
  chmod 555 "$T/p"
  sample --seed 2 --out "$T/p" 2>/dev/null
  check "unwritable target: exit 2" test $? -eq 2
  chmod 755 "$T/p"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
