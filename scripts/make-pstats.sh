#!/bin/sh
# Writes a real cProfile/pstats dump of the shop "pricing" workload (test/fixtures/workloads) to
# $1 (default: test/fixtures/generated/shop-pricing.pstats). The workload is copied to a fresh
# temporary folder first, so the dump's paths are <tmp>/shop/*.py, never the repo's.
# Uses Debian's /usr/bin/python3 when present (as the recordings did), else python3 on PATH.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/test/fixtures/generated/shop-pricing.pstats}
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flamelens-pstats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -R "$root/test/fixtures/workloads/shop" "$tmp/shop"
(cd "$tmp" && "$py" -m cProfile -o out.pstats -m shop pricing > /dev/null)
cp "$tmp/out.pstats" "$out"
echo "$out: $("$py" --version 2>&1), workload copied to $tmp"
