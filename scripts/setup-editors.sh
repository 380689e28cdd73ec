#!/bin/sh
# setup-editors.sh - install the real editors the editor tests drive (idempotent, quick when done):
# Neovim 0.7.2 and 0.10.4 (scripts/setup-nvim.sh), code-server + Chromium (scripts/setup-code-server.sh).
# Runs before `npm test` (the pretest script). Set FLAMELENS_SKIP_EDITOR_SETUP=1 to skip it.
#
# What the installers print (apt, npm, node-gyp; node-pty's post-install prints a page of `npm error`
# even when it works) goes to .cache/setup-editors.log; this prints one line per part: ready, or not
# installed and why. Without root or sudo the install fails, and `npm test` still runs: the editor
# suites skip what is missing and say so. FLAMELENS_REQUIRE_EDITORS=1 makes a missing editor fail here
# (and in the suites), for CI machines that must run them.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${FLAMELENS_SKIP_EDITOR_SETUP:-}" = 1 ]; then
  echo "setup-editors: skipped (FLAMELENS_SKIP_EDITOR_SETUP=1): the editor suites use the editors already installed and skip the others, saying why"
  exit 0
fi
mkdir -p "$ROOT/.cache"
LOG=$ROOT/.cache/setup-editors.log
: > "$LOG"
here=$ROOT/scripts

# why an install that needs apt-get cannot work here, if that is the case
no_root=''
if [ "$(id -u)" != 0 ] && ! sudo -n true >/dev/null 2>&1; then
  no_root='no root or passwordless sudo for apt-get'
fi

failed=0
part() { # part NAME SCRIPT: runs one installer into the log, prints its one line
  name=$1
  shift
  echo "=== $name: $*" >> "$LOG"
  if sh "$@" >> "$LOG" 2>&1; then
    echo "setup-editors: $name ready"
  else
    failed=1
    echo "setup-editors: $name NOT installed (${no_root:-the installer failed}); its editor tests will be skipped. Log: .cache/setup-editors.log"
  fi
}

part 'Neovim 0.7 and 0.10' "$here/setup-nvim.sh"
part 'code-server 4.100.3 and Chromium' "$here/setup-code-server.sh"

if [ "$failed" = 1 ] && [ "${FLAMELENS_REQUIRE_EDITORS:-}" = 1 ]; then
  echo "setup-editors: FLAMELENS_REQUIRE_EDITORS=1 and an editor is missing" >&2
  exit 1
fi
exit 0
