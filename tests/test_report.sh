#!/usr/bin/env bash
# test_report.sh — `alignsim run --report` and `alignsim report` end to end,
# checked in a real browser.  Usage: test_report.sh ALIGNSIM CHROMIUM
# REPORT_BROWSER_PY E4_CFG
#  1. run E4 (< 1 s) with --report; report.html exists, has no <script>,
#     no http(s) reference and a claims table with every claim held;
#  2. headless Chromium (tests/report_browser.py): no console message, every
#     figure renders non-empty, the tables match results.csv/summary.csv;
#  3. `alignsim report` on a directory without a run: exit 2, message
#     prefixed "alignsim:", nothing written.
set -u
exe=$1 chromium=$2 browser=$3 cfg=$4
if [ "$chromium" = "" ] || ! command -v "$chromium" > /dev/null; then
  echo "FAIL: chromium not found (Debian package chromium; scripts/install-deps installs it)"
  exit 1
fi
tmp=$(mktemp -d /tmp/test_report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$exe" run "$cfg" --out "$tmp/e4" --quiet --report > "$tmp/o" 2> "$tmp/e" \
  || fail "run --report exited $? ($(cat "$tmp/e"))"
page=$tmp/e4/report.html
[ -s "$page" ] || fail "no report.html"
grep -q "report: $tmp/e4/report.html" "$tmp/o" || fail "run does not name the report"
grep -qi '<script' "$page" && fail "report has a script"
grep -Eqi '(src|href)="https?:' "$page" && fail "report loads from the network"
grep -q 'class="not-held"' "$page" && fail "a claim of E4 not held: $(grep 'not-held' "$page")"
[ "$(grep -c 'class="held"' "$page")" -ge 2 ] || fail "fewer than 2 claims held"
[ "$(grep -c '<svg' "$page")" -ge 1 ] || fail "no inline SVG"

# the same page from `alignsim report`, byte for byte
cp "$page" "$tmp/first.html"
"$exe" report "$tmp/e4" > /dev/null || fail "alignsim report exited $?"
cmp -s "$page" "$tmp/first.html" || fail "alignsim report differs from run --report"

python3 "$browser" "$chromium" "$tmp/e4" || fail "browser check (above)"

mkdir "$tmp/empty"
"$exe" report "$tmp/empty" > /dev/null 2> "$tmp/e"
rc=$?
[ $rc -eq 2 ] || fail "report on an empty directory exits $rc, not 2"
grep -q "^alignsim: $tmp/empty/manifest: cannot read" "$tmp/e" || fail "message: $(cat "$tmp/e")"
[ -z "$(ls "$tmp/empty")" ] || fail "something written into an empty directory"

[ $fails -eq 0 ] && echo "test_report: all checks passed"
exit $((fails > 0))
