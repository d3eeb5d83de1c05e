#!/usr/bin/env bash
# test_install.sh — `meson install` gives a working, relocatable tool.
# Usage: test_install.sh BUILDDIR SRCDIR CLIENT_C SANITIZE
#  1. installs the build into a temporary prefix (DESTDIR staging), then
#     moves the prefix elsewhere (the tool finds its data relative to
#     itself) and removes the staging copy;
#  2. with the source tree and the build tree mounted over by empty
#     folders (a private mount namespace: `unshare -rm`; without it the
#     check falls back to the plot directory the tool reports), runs E4
#     from the installed config, and then EVERY installed config shrunk
#     (tests/shrink_config.sh, done before the clone is hidden), each with
#     figures from the installed scripts and --report: every figure the
#     run announces must exist as PNG and SVG;
#  3. `man alignsim-run` (and every subcommand's page) from the prefix;
#  4. compiles tests/install_client.c with `pkg-config libalignsim` against
#     the installed headers and library, and runs it.
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) client=$3 sanitize=$4
tmp=$(mktemp -d /tmp/test_install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" \
  > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; exit 1; }
bin=$(find "$tmp/stage" -path '*/bin/alignsim' -type f)
[ -n "$bin" ] || { fail "no bin/alignsim installed"; exit 1; }
staged_prefix=$(dirname "$(dirname "$bin")")
for f in share/alignsim/plots/e1.gp share/alignsim/plots/common.gp \
         share/alignsim/experiments/e1.cfg share/doc/alignsim/reference.md \
         share/man/man1/alignsim.1 share/man/man1/alignsim-run.1 \
         share/man/man1/alignsim-report.1 include/alignsim/as_fit.h; do
  [ -f "$staged_prefix/$f" ] || fail "not installed: $f"
done
pc=$(find "$staged_prefix" -name libalignsim.pc)
[ -n "$pc" ] || fail "no libalignsim.pc installed"

# 4 first, while the staged prefix matches the .pc file (sysroot = stage)
if command -v pkg-config > /dev/null && command -v cc > /dev/null && [ -n "$pc" ]; then
  san=""
  [ "$sanitize" != "none" ] && san="-fsanitize=$sanitize"
  flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$tmp/stage" \
          pkg-config --cflags --libs libalignsim) || fail "pkg-config libalignsim"
  # shellcheck disable=SC2086
  cc -std=c17 $san -o "$tmp/client" "$client" $flags 2> "$tmp/cc.log" \
    || { cat "$tmp/cc.log"; fail "cannot build against the installed library"; }
  [ -x "$tmp/client" ] && { "$tmp/client" || fail "install_client failed"; }
fi

# 1. relocate: the prefix moves, the tool must not care
mv "$staged_prefix" "$tmp/prefix"
rm -rf "$tmp/stage"
prefix=$tmp/prefix
exe=$prefix/bin/alignsim

"$exe" run --help > "$tmp/help" || fail "run --help"
grep -q "here: $prefix/bin/../share/alignsim/plots" "$tmp/help" \
  || fail "run --help does not name the installed plots: $(grep here "$tmp/help")"

# 2. the experiments, with the clone out of view when the kernel lets us
mkdir "$tmp/cfg"
for cfg in "$prefix"/share/alignsim/experiments/*.cfg; do
  bash "$src/tests/shrink_config.sh" "$cfg" > "$tmp/cfg/$(basename "$cfg")" \
    || fail "shrink $cfg"
done
[ "$(ls "$tmp/cfg" | wc -l)" -ge 14 ] || fail "fewer than 14 configs installed"
cat > "$tmp/inner.sh" <<INNER
set -e
cd /
mount -t tmpfs none "$src"
[ -d "$build" ] && mount -t tmpfs none "$build" 2>/dev/null || true
[ ! -e "$src/plots/e4.gp" ]
env -u ALIGNSIM_PLOTS "$exe" run "$prefix/share/alignsim/experiments/e4.cfg" \
  --out "$tmp/out" --quiet --report
for cfg in "$tmp"/cfg/*.cfg; do
  name=\$(basename "\$cfg" .cfg)
  env -u ALIGNSIM_PLOTS "$exe" run "\$cfg" --out "$tmp/all/\$name" --quiet \
    --report --threads 1 > "$tmp/all-\$name.out" \
    || { echo "installed \$name failed"; exit 1; }
done
INNER
if unshare -rm true 2> /dev/null; then
  echo "running E4 with $src and $build hidden (unshare -rm)"
  unshare -rm bash "$tmp/inner.sh" > "$tmp/run.log" 2>&1 \
    || { cat "$tmp/run.log"; fail "E4 from the installed copy"; }
else
  echo "no private mount namespace: running E4 with the clone in place"
  sed -i '/mount -t tmpfs/d; /\[ ! -e/d' "$tmp/inner.sh"
  bash "$tmp/inner.sh" > "$tmp/run.log" 2>&1 \
    || { cat "$tmp/run.log"; fail "E4 from the installed copy"; }
fi
for f in e4.png e4.svg report.html results.csv; do
  [ -s "$tmp/out/$f" ] || fail "E4 from the installed copy wrote no $f"
done
nfig=0
for cfg in "$tmp"/cfg/*.cfg; do
  name=$(basename "$cfg" .cfg)
  [ -s "$tmp/all/$name/report.html" ] || fail "$name (installed): no report.html"
  for png in $(sed -n 's/^figure: \(.*\)\.png (and \.svg)$/\1/p' \
                 "$tmp/all-$name.out" 2>/dev/null); do
    [ -s "$png.png" ] && [ -s "$png.svg" ] \
      || fail "$name (installed): figure $png.png/.svg missing"
    nfig=$((nfig + 1))
  done
done
echo "every installed config ran from the installed copy: $nfig figures"
[ $nfig -ge 14 ] || fail "only $nfig figures from the installed configs"

# 3. man pages
if command -v man > /dev/null; then
  for page in alignsim alignsim-run alignsim-fit alignsim-sample \
              alignsim-bounds alignsim-report; do
    MANPATH=$prefix/share/man MANWIDTH=80 man "$page" > "$tmp/man.txt" 2> /dev/null \
      || fail "man $page"
    grep -q "NAME" "$tmp/man.txt" || fail "man $page has no NAME section"
  done
  MANPATH=$prefix/share/man man alignsim-run 2> /dev/null | grep -q -- "--threads" \
    || fail "man alignsim-run does not describe --threads"
else
  fail "man not found (Debian package man-db; scripts/install-deps installs it)"
fi

[ $fails -eq 0 ] && echo "test_install: all checks passed"
exit $((fails > 0))
