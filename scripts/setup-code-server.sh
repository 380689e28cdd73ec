#!/bin/sh
# setup-code-server.sh [DEST] [VERSION]: install what the real-VS-Code test needs, idempotently:
#   - Debian packages: build-essential python3 libkrb5-dev ripgrep chromium (apt-get, as root or via sudo)
#   - code-server (VS Code in the browser) from the npm registry into DEST (default: <repo>/.cache/code-server)
# A second run with everything in place only checks and exits.
#
# Why not `npm install -g code-server`: its postinstall runs a nested `npm install` in lib/vscode that
# fails under npm 11 global installs, downloads ripgrep from GitHub through @vscode/ripgrep, and lets
# node-gyp download Node headers. So install with --ignore-scripts and do the postinstall steps by hand,
# with the system rg and the Node headers in /usr/include/node.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-"$ROOT/.cache/code-server"}
VER=${2:-4.100.3}   # 4.100.x is the last line whose engines.node is 20 (4.101+ want Node 22/24)
PKGS="build-essential python3 libkrb5-dev ripgrep chromium"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup-code-server: installing$missing" >&2
  # Wait for another apt/dpkg run (unattended upgrades, a parallel setup script) instead of failing.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
fi

BIN="$DEST/node_modules/.bin/code-server"
VS="$DEST/node_modules/code-server/lib/vscode"
if [ -x "$BIN" ] && [ -f "$DEST/.complete-$VER" ] && "$BIN" --version 2>/dev/null | grep -q "^$VER "; then
  echo "setup-code-server: code-server $VER already in $DEST" >&2
  exit 0
fi

mkdir -p "$DEST"
rm -f "$DEST"/.complete-*
export npm_config_nodedir=/usr   # Node headers from the Debian/nodesource package: /usr/include/node
cd "$DEST"
# Without a package.json here npm walks up to the nearest one (the repo's!) and installs there.
[ -f package.json ] || echo '{ "name": "flamelens-code-server", "private": true }' > package.json
npm install --ignore-scripts --no-save --no-package-lock --no-audit --no-fund "code-server@$VER"
npm rebuild argon2                                   # native module used by code-server's password auth
cd "$VS"
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# node-pty's post-install step calls `npx node-gyp` for compile_commands.json and fails offline AFTER
# building, so ignore the exit code and check the built modules instead.
npm rebuild node-pty @vscode/spdlog native-watchdog kerberos @vscode/deviceid || true
for f in node-pty/build/Release/pty.node @vscode/spdlog/build/Release/spdlog.node native-watchdog/build/Release/watchdog.node; do
  test -f "node_modules/$f" || { echo "setup-code-server: missing $f after rebuild" >&2; exit 1; }
done
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund)
"$BIN" --version
touch "$DEST/.complete-$VER"
