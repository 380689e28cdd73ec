#!/bin/sh
# setup-editors.sh - install the real editors the editor tests drive (idempotent, quick when done):
# Neovim 0.7.2 and 0.10.4 (scripts/setup-nvim.sh), code-server + Chromium (scripts/setup-code-server.sh).
# Runs before `npm test` (the pretest script). Set FLAMELENS_SKIP_EDITOR_SETUP=1 to skip it.
set -eu
[ "${FLAMELENS_SKIP_EDITOR_SETUP:-}" = 1 ] && exit 0
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/setup-nvim.sh" >&2
sh "$here/setup-code-server.sh" >&2
