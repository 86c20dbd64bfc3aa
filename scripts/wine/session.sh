#!/usr/bin/env bash
# Runs commands inside the Wine chroot made by env.sh, with this work tree mounted at /winipc.
#   session.sh up          create/check the environment, mount, start a persistent wineserver
#   session.sh exec CMD..  run CMD inside the chroot (cwd /winipc); `deno`, `bun` and `node` are
#                          the Windows runtimes under Wine
#   session.sh down        stop the wineserver and unmount (safe to repeat)
#   session.sh run CMD..   up, exec, down (down runs even when CMD fails)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${WINIPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winipc}
root="$cache/trixie"
log() { printf '[wine] %s\n' "$*" >&2; }

mounted() { mountpoint -q "$1" 2>/dev/null; }

# Wine prefixes, each with a wineserver of its own (its windows, clipboard, named objects and
# sockets apart from the others'):
#   prefix        the test runner's first lane, and every other use
#   prefix-b      host B of the two-hosts test, in another network namespace (Wine creates sockets
#                 in the wineserver, so a host of its own needs a wineserver of its own)
#   prefix-lane2  the runner's second lane: a second test file runs there at the same time
#                 (WINIPC_LANES=1: no second lane)
LANES="prefix prefix-lane2"
[ "${WINIPC_LANES:-2}" = 1 ] && LANES="prefix"
PREFIXES="$LANES prefix-b"

# A prefix's serial cables (start_serial): its COM1..COM3 are /dev/winipc-comN..N+2, and COM3's
# far end listens on TCP 127.0.0.1:$(serial_tcp PREFIX). Lanes have cables of their own.
SERIAL_TCP_BASE=${WINIPC_SERIAL_TCP_PORT:-47023}
com_base() { case "$1" in prefix-lane2) echo 4 ;; *) echo 1 ;; esac; }
serial_tcp() { case "$1" in prefix-lane2) echo $((SERIAL_TCP_BASE + 1)) ;; *) echo "$SERIAL_TCP_BASE" ;; esac; }

in_chroot() {
  local serial_port
  serial_port=$(serial_tcp "${WINIPC_PREFIX:-prefix}")
  chroot "$root" /usr/bin/env -i HOME=/root WINEPREFIX="/root/${WINIPC_PREFIX:-prefix}" WINEDEBUG=-all \
    XDG_RUNTIME_DIR=/tmp PATH=/opt/runtimes:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    DENO_DIR=/root/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 CI="${CI:-}" \
    WINIPC_SEED="${WINIPC_SEED:-}" WINIPC_RUNS="${WINIPC_RUNS:-}" \
    WINIPC_LOAD="${WINIPC_LOAD:-}" WINIPC_LEAK_CYCLES="${WINIPC_LEAK_CYCLES:-}" \
    WINIPC_NATIVE_ECHO_PORT="${WINIPC_NATIVE_ECHO_PORT:-}" \
    WINIPC_TWO_HOSTS_SERVER="${WINIPC_TWO_HOSTS_SERVER:-}" WINIPC_SERIAL_TCP_PORT="$serial_port" \
    WINIPC_NODE='Z:\opt\runtimes\node.exe' \
    /bin/bash -c 'cd /winipc && "$@"' bash "$@"
}

up() {
  eval "$("$here/env.sh")"
  mkdir -p "$root/opt/runtimes" "$root/winipc"
  # Stable names inside the chroot: `deno`, `bun` and `node` are shell wrappers around wine. Node is
  # a test peer only; a Windows test process starts it as $WINIPC_NODE (Z:\opt\runtimes\node.exe:
  # "node.exe" on the PATH is Deno's own Node shim inside `deno`).
  local exe
  for exe in deno:"$WINIPC_DENO" bun:"$WINIPC_BUN" node:"$WINIPC_NODE"; do
    local name=${exe%%:*} file=${exe#*:}
    if ! cmp -s "$file" "$root/opt/runtimes/$name.exe"; then cp "$file" "$root/opt/runtimes/$name.exe"; fi
    printf '#!/bin/sh\nexec wine /opt/runtimes/%s.exe "$@"\n' "$name" > "$root/opt/runtimes/$name"
    chmod +x "$root/opt/runtimes/$name"
  done
  # koffi's Windows binary beside the Linux one in this tree's node_modules, where koffi looks.
  local koffi_win="$repo/node_modules/@koromix/koffi-win32-x64"
  if [ -d "$repo/node_modules/koffi" ] && [ ! -f "$koffi_win/win32_x64/koffi.node" ]; then
    mkdir -p "$koffi_win" && cp -r "$WINIPC_KOFFI_WIN/." "$koffi_win/"
  fi
  mounted "$root/proc" || mount -t proc proc "$root/proc"
  mounted "$root/dev" || mount --rbind /dev "$root/dev"
  # Always this work tree: a mount left by an earlier run may point at another clone.
  if mounted "$root/winipc"; then umount -l "$root/winipc"; fi
  mount --bind "$repo" "$root/winipc"
  local prefix
  for prefix in $PREFIXES; do
    if [ ! -f "$root/root/$prefix/.winipc-ready" ]; then
      log "creating the Wine prefix $prefix (once)"
      WINIPC_PREFIX=$prefix in_chroot sh -c 'wineboot -i >/dev/null 2>&1; wine reg add "HKCU\\Software\\Wine\\Drivers" /v Graphics /d null /f >/dev/null 2>&1; wineserver -w'
      touch "$root/root/$prefix/.winipc-ready"
    fi
    if [ ! -f "$root/root/$prefix/.winipc-ports" ]; then
      # COM1..COM3 are the prefix's virtual serial cables (start_serial); Wine's mount manager
      # reads this key when its services start.
      WINIPC_PREFIX=$prefix in_chroot sh -c 'b=$1; for n in 1 2 3; do wine reg add "HKLM\\Software\\Wine\\Ports" /v COM$n /d /dev/winipc-com$((b + n - 1)) /f; done >/dev/null 2>&1; wineserver -k; wineserver -w' sh "$(com_base "$prefix")" || true
      touch "$root/root/$prefix/.winipc-ports"
    fi
  done
  # Start the lanes' wineservers and Wine's own services now, with no terminal or pipe of ours as
  # their output, so no test process is the one that starts them.
  for prefix in $LANES; do
    WINIPC_PREFIX=$prefix in_chroot sh -c 'wineserver -p; wine cmd /c exit' </dev/null >/dev/null 2>&1 || true
  done
  start_serial
}

# Virtual serial cables (socat pty pairs), mapped into every prefix as COM ports (com_base):
#   COM1 <-> COM2                  two Windows processes at the two ends of a null modem
#   COM3 <-> TCP 127.0.0.1:PORT    a Linux program (socat) at the other end, reachable by TCP
# socat relays one block at a time with blocking writes: a port whose input is full stalls both
# directions of its cable, so a peer must keep reading while it writes (as a real line never waits).
serial_pids="$cache/serial.pids"

stop_serial() {
  if [ -f "$serial_pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$serial_pids"
    rm -f "$serial_pids"
  fi
  pkill -f 'link=/dev/winipc-com' 2>/dev/null || true
}

start_serial() {
  command -v socat >/dev/null || return 0
  stop_serial
  local lane b port prefix n
  for lane in $LANES; do
    b=$(com_base "$lane") port=$(serial_tcp "$lane")
    setsid socat pty,raw,echo=0,link=/dev/winipc-com$b pty,raw,echo=0,link=/dev/winipc-com$((b + 1)) </dev/null >/dev/null 2>&1 &
    echo $! >> "$serial_pids"
    # The TCP side takes one connection at a time; when it ends, the cable is plugged in again.
    setsid bash -c "while :; do socat pty,raw,echo=0,link=/dev/winipc-com$((b + 2)) tcp-listen:$port,bind=127.0.0.1,reuseaddr; sleep 0.1; done" </dev/null >/dev/null 2>&1 &
    echo $! >> "$serial_pids"
  done
  for _ in $(seq 50); do [ -e /dev/winipc-com1 ] && [ -e /dev/winipc-com3 ] && break; sleep 0.1; done
  for prefix in $PREFIXES; do
    mkdir -p "$root/root/$prefix/dosdevices"
    b=$(com_base "$prefix")
    for n in 1 2 3; do ln -sfn "/dev/winipc-com$((b + n - 1))" "$root/root/$prefix/dosdevices/com$n"; done
  done
}

down() {
  stop_serial
  [ -d "$root" ] || return 0
  if mounted "$root/proc"; then
    for prefix in prefix prefix-lane2 prefix-b; do # every one that exists, whatever the lanes now
      [ -d "$root/root/$prefix" ] || continue
      WINIPC_PREFIX=$prefix in_chroot sh -c 'wineserver -k' >/dev/null 2>&1 || true
    done
  fi
  for m in winipc dev proc; do
    if mounted "$root/$m"; then umount -R -l "$root/$m" 2>/dev/null || umount -l "$root/$m" || true; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  exec) shift; in_chroot "$@" ;;
  run) shift; up; trap down EXIT; in_chroot "$@" ;;
  *) echo "usage: $0 up|exec CMD..|down|run CMD.." >&2; exit 2 ;;
esac
