#!/bin/sh
# setup-nvim.sh - install the two Neovim versions the editor tests run against, idempotently:
#   - Debian's neovim package (0.7.2 on Debian 12) at /usr/bin/nvim, when `nvim` is missing,
#     and tmux, when missing;
#   - Neovim 0.10.4 from Debian 13 packages, unpacked privately into .cache/nvim010 (with its own
#     glibc and ld.so, so the system's apt sources are never touched), when missing.
# Prints the two binary paths. Needs root for apt-get and a reachable Debian mirror.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${FLAMELENS_NVIM010_DIR:-$ROOT/.cache/nvim010}
SUDO=''
[ "$(id -u)" = 0 ] || SUDO='sudo'

updated=''
apt_install() {
  [ -n "$updated" ] || { $SUDO apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

command -v nvim >/dev/null 2>&1 || apt_install neovim
# the terminal tests run Neovim's TUI in a tmux pane and read the screen back
command -v tmux >/dev/null 2>&1 || apt_install tmux

if ! "$DEST/nvim" --version >/dev/null 2>&1; then
  command -v patchelf >/dev/null 2>&1 || apt_install patchelf
  mkdir -p "$DEST"
  DEST=$(cd "$DEST" && pwd)
  T=$DEST/apt
  mkdir -p "$T/lists/partial" "$T/cache/archives/partial" "$DEST/debs"
  # the same mirror the system already uses for bookworm (deb822 sources first, then sources.list)
  MIRROR=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 || true)
  [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" > "$T/trixie.list"
  APT="-o Dir::Etc::SourceList=$T/trixie.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$T/lists -o Dir::Cache=$T/cache -o APT::Sandbox::User=root"
  # shellcheck disable=SC2086 # APT is a list of options
  apt-get $APT update -qq
  rm -f "$DEST"/debs/*.deb
  # shellcheck disable=SC2086
  (cd "$DEST/debs" && apt-get $APT download neovim neovim-runtime libc6 libgcc-s1 libluajit-5.1-2 \
    libluajit-5.1-common libmsgpack-c2 libtree-sitter0.22 libunibilium4 libuv1t64 libvterm0 lua-lpeg lua-luv) >&2
  rm -rf "$DEST/root"
  mkdir -p "$DEST/root"
  for d in "$DEST"/debs/*.deb; do dpkg-deb -x "$d" "$DEST/root"; done
  R=$DEST/root
  # the trixie binary needs glibc 2.41: point it at the unpacked loader and libraries
  patchelf --set-interpreter "$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --force-rpath \
    --set-rpath "$R/usr/lib/x86_64-linux-gnu" "$R/usr/bin/nvim"
  cat > "$DEST/nvim" <<'SH'
#!/bin/sh
R=$(cd "$(dirname "$0")" && pwd)/root
export VIMRUNTIME=$R/usr/share/nvim/runtime
exec "$R/usr/bin/nvim" --cmd "set rtp+=$R/usr/lib/nvim" "$@"
SH
  chmod +x "$DEST/nvim"
  rm -rf "$T" "$DEST/debs"
fi

echo "$(command -v nvim) ($(nvim --version | head -n1))"
echo "$DEST/nvim ($("$DEST/nvim" --version | head -n1))"
