#!/bin/sh
# setup-austin.sh - build Austin 3.7.0 (test/tools/austin, GPL-3.0) into .cache/austin/austin for the
# live-profiling tests, idempotently. Needs a C compiler, autoconf and automake (installed with
# apt-get when missing and root or sudo is there). Prints the binary's version, or why it is not there.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/.cache/austin
if "$DEST/austin" --version >/dev/null 2>&1; then "$DEST/austin" --version; exit 0; fi
SUDO=''
[ "$(id -u)" = 0 ] || SUDO='sudo -n'
need=''
for t in autoreconf:autoconf automake:automake make:build-essential gcc:build-essential; do
  command -v "${t%%:*}" >/dev/null 2>&1 || need="$need ${t#*:}"
done
if [ -n "$need" ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
mkdir -p "$DEST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$ROOT/test/tools/austin/austin-3.7.0-src.tar.gz" -C "$work"
cd "$work/austin-3.7.0"
autoreconf --install >/dev/null 2>&1
./configure >/dev/null
make -j2 >/dev/null
cp src/austin "$DEST/austin"
"$DEST/austin" --version
