#!/bin/sh
# setup-editors.sh - install the real editors the editor tests drive (idempotent, quick when done):
# Neovim 0.7.2 and 0.10.4 (scripts/setup-nvim.sh), code-server + Chromium (scripts/setup-code-server.sh),
# and Austin 3.7.0 for the live-profiling tests (scripts/setup-austin.sh).
# Runs before `npm test` (the pretest script). Set FLAMELENS_SKIP_EDITOR_SETUP=1 to skip it.
#
# What the installers print (apt, npm, node-gyp; node-pty's post-install prints a page of `npm error`
# even when it works) goes to .cache/setup-editors.log; this prints one line: what is ready, what is
# not installed and why. Without root or sudo the install fails, and `npm test` still runs: the editor
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

{
  echo "=== scripts/setup-nvim.sh"
  sh "$here/setup-nvim.sh"
  echo "=== scripts/setup-code-server.sh"
  sh "$here/setup-code-server.sh"
  echo "=== scripts/setup-austin.sh"
  sh "$here/setup-austin.sh"
} >> "$LOG" 2>&1

# what is there now, whatever the installers managed
ready=''
missing=''
have() { ready="${ready:+$ready, }$1"; }
lack() { missing="${missing:+$missing, }$1"; }
v=$(nvim --version 2>/dev/null | head -n1)
[ -n "$v" ] && have "$v" || lack 'Neovim 0.7'
v=$("$ROOT/.cache/nvim010/nvim" --version 2>/dev/null | head -n1)
[ -n "$v" ] && have "$v" || lack 'Neovim 0.10'
command -v tmux >/dev/null 2>&1 && have 'tmux' || lack 'tmux'
CS=$ROOT/.cache/code-server/node_modules/.bin/code-server
v=$("$CS" --version 2>/dev/null | head -n1 | cut -d' ' -f1)
[ -n "$v" ] && have "code-server $v" || lack 'code-server'
command -v chromium >/dev/null 2>&1 && have 'Chromium' || lack 'Chromium'
v=$("$ROOT/.cache/austin/austin" --version 2>/dev/null | head -n1)
[ -n "$v" ] && have "$v (live profiling tests)" || lack 'Austin (live profiling tests)'

if [ -z "$missing" ]; then
  echo "setup-editors: ready: $ready (log: .cache/setup-editors.log)"
  exit 0
fi
echo "setup-editors: ready: ${ready:-none}; NOT installed (${no_root:-the installer failed}): $missing; the tests that need them are skipped. Log: .cache/setup-editors.log"
if [ "${FLAMELENS_REQUIRE_EDITORS:-}" = 1 ]; then
  echo "setup-editors: FLAMELENS_REQUIRE_EDITORS=1 and an editor is missing" >&2
  exit 1
fi
exit 0
