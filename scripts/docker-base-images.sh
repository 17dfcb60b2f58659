#!/usr/bin/env bash
# Builds two small local base images from this machine's own runtimes, with `docker import`:
#
#   gauntlet-base/node:local     the host's node binary and the shared libraries it loads
#   gauntlet-base/python:local   the host's python3 with its standard library and the shared
#                                libraries of the interpreter and of its extension modules
#
# Both also hold /bin/sh (dash), /tmp, the C.UTF-8 locale and a minimal /etc/passwd and
# /etc/group. They stand in for node:20-slim and python:3.12-slim where no registry can be
# reached: the server Dockerfiles take either one as BASE_IMAGE.
#
# Each image carries the runtime it was made from in the label gauntlet.runtime (name, version,
# path) and the layout version of this script in gauntlet.recipe. An image whose labels match
# the host's runtime is kept; any other is rebuilt.
#
#   scripts/docker-base-images.sh [--force] [node|python ...]
#
# NODE (default: node on PATH) and PYTHON (default: python3 on PATH, which may be a pyenv shim;
# the interpreter's real path is asked from the interpreter itself) pick other runtimes.
set -euo pipefail

# Bump when the layout of the images changes, so that existing images are rebuilt.
RECIPE=2
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    node | python) wanted+=("$arg") ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "docker-base-images: unknown argument $arg" >&2; exit 2 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(node python)

docker info >/dev/null 2>&1 || { echo "docker-base-images: no docker engine answers (start one with scripts/docker-up.sh)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gauntlet-base.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ROOT=

# mirror PATH: copy a host file into $ROOT at the same path, recreating as symlinks every
# symlink met on the way (the merged-/usr links /lib -> usr/lib and /lib64 -> usr/lib64, and
# soname links like libz.so.1 -> libz.so.1.2.13), so that each path a binary or the dynamic
# loader asks for resolves inside the image exactly as it does on the host.
mirror() {
  local p=$1 head="" i target rest
  local -a parts
  IFS=/ read -ra parts <<<"${p#/}"
  for ((i = 0; i < ${#parts[@]}; i++)); do
    [ -n "${parts[i]}" ] || continue
    head="$head/${parts[i]}"
    if [ -L "$head" ]; then
      target=$(readlink "$head")
      if [ ! -L "$ROOT$head" ] && [ ! -e "$ROOT$head" ]; then
        mkdir -p "$ROOT${head%/*}"
        ln -s "$target" "$ROOT$head"
      fi
      [[ "$target" == /* ]] || target="${head%/*}/$target"
      rest=""
      if ((i + 1 < ${#parts[@]})); then rest="/$(IFS=/; echo "${parts[*]:i+1}")"; fi
      mirror "$target$rest"
      return
    fi
  done
  if [ ! -e "$ROOT$head" ]; then
    mkdir -p "$ROOT${head%/*}"
    cp -p "$head" "$ROOT$head"
  fi
}

# The shared libraries (and the dynamic loader) that ldd lists for each file given.
needed_libs() {
  local f out
  for f in "$@"; do
    out=$(ldd "$f" 2>&1) || { [[ "$out" == *"not a dynamic executable"* ]] && continue; echo "$out" >&2; return 1; }
    if grep -q 'not found' <<<"$out"; then
      echo "docker-base-images: $f needs a library that is missing on this host:" >&2
      grep 'not found' <<<"$out" >&2
      return 1
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
  done | sort -u
}

# mirror_libs FILE...: mirror every library the files need (a failing ldd stops the build).
mirror_libs() {
  local libs lib
  libs=$(needed_libs "$@")
  for lib in $libs; do mirror "$lib"; done
}

# The parts every image has: /bin/sh with its libraries, /tmp, /usr/local/bin and the two
# account files (root and nobody) that tools asking for a user name expect.
common_root() {
  ROOT=$1
  mkdir -p "$ROOT"
  # The host's top-level merged-/usr links first, so that later copies land under /usr.
  local d
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    [ -L "$d" ] && ln -s "$(readlink "$d")" "$ROOT$d"
  done
  mirror /bin/sh
  mirror_libs "$(readlink -f /bin/sh)"
  # LANG=C.UTF-8 needs the locale's files: glibc does not build C.UTF-8 in (Debian ships it in
  # libc-bin). Without them the C locale is used and Python silently turns on its UTF-8 mode.
  if [ -d /usr/lib/locale/C.utf8 ]; then
    mkdir -p "$ROOT/usr/lib/locale"
    cp -a /usr/lib/locale/C.utf8 "$ROOT/usr/lib/locale/"
  fi
  mkdir -p "$ROOT/tmp" "$ROOT/usr/local/bin" "$ROOT/etc" "$ROOT/root"
  chmod 1777 "$ROOT/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$ROOT/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
}

# up_to_date IMAGE RUNTIME: the image exists and was made from RUNTIME by this recipe.
up_to_date() {
  local labels
  labels=$(docker image inspect -f '{{index .Config.Labels "gauntlet.runtime"}}|{{index .Config.Labels "gauntlet.recipe"}}' "$1" 2>/dev/null) || return 1
  [ "$labels" = "$2|$RECIPE" ]
}

# import ROOT IMAGE RUNTIME CMD: turn the folder into an image.
import_root() {
  local root=$1 image=$2 runtime=$3 cmd=$4 old
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  tar -C "$root" --numeric-owner -cf - . |
    docker import \
      --change "ENV PATH=$IMAGE_PATH" \
      --change 'ENV LANG=C.UTF-8' \
      --change "LABEL gauntlet.runtime=\"$runtime\" gauntlet.recipe=\"$RECIPE\"" \
      --change "LABEL org.opencontainers.image.title=\"$image\"" \
      --change "CMD $cmd" \
      --message "from the host's $runtime" \
      - "$image" >/dev/null
  # The image this one replaces, unless server images built on it still need it.
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

size_of() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

build_node() {
  local image=gauntlet-base/node:local node version runtime start
  node=$(command -v "${NODE:-node}") || { echo "docker-base-images: no node on PATH" >&2; return 1; }
  node=$(readlink -f "$node")
  version=$("$node" -p 'process.versions.node')
  runtime="node $version $node"
  if [ "$force" = 0 ] && up_to_date "$image" "$runtime"; then
    echo "$image: up to date ($runtime, $(size_of "$image"))"
    return
  fi
  start=$SECONDS
  common_root "$WORK/node"
  mirror "$node"
  mirror_libs "$node"
  [ -e "$ROOT/usr/local/bin/node" ] || ln -s "$node" "$ROOT/usr/local/bin/node"
  import_root "$ROOT" "$image" "$runtime" '["node"]'
  echo "$image: built ($runtime, $(size_of "$image"), $((SECONDS - start)) s)"
}

build_python() {
  local image=gauntlet-base/python:local python info exe version stdlib dynload runtime start
  python=$(command -v "${PYTHON:-python3}") || { echo "docker-base-images: no python3 on PATH" >&2; return 1; }
  # Asked from the interpreter: a pyenv shim or a symlink on PATH says nothing of where the
  # real binary and its standard library are.
  info=$("$python" -c 'import os, sys, sysconfig
print(os.path.realpath(sys.executable))
print("%d.%d.%d" % sys.version_info[:3])
print(os.path.realpath(sysconfig.get_paths()["stdlib"]))
print(os.path.realpath(sysconfig.get_config_var("DESTSHARED") or os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload")))')
  { read -r exe; read -r version; read -r stdlib; read -r dynload; } <<<"$info"
  runtime="python $version $exe"
  if [ "$force" = 0 ] && up_to_date "$image" "$runtime"; then
    echo "$image: up to date ($runtime, $(size_of "$image"))"
    return
  fi
  start=$SECONDS
  common_root "$WORK/python"
  # The interpreter keeps its host path: it finds its standard library relative to its own
  # real location, and a pyenv build loads libpython through an absolute RUNPATH.
  mirror "$exe"
  # The standard library, less what a server never imports (tests, IDLE, Tk, pip's bootstrap,
  # the static libpython under config-*, third-party packages) and less the bytecode caches.
  local excludes=(
    --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo
    --exclude=./turtle.py --exclude=./ensurepip --exclude=./site-packages --exclude=./dist-packages
    --exclude='./config-*' --exclude=__pycache__ --exclude=test --exclude=tests --exclude=idle_test
    --exclude='_tkinter*.so' --exclude='_test*.so' --exclude='_ctypes_test*.so'
    --exclude='xxlimited*.so' --exclude='_xxtestfuzz*.so'
  )
  mkdir -p "$ROOT$stdlib"
  tar -C "$stdlib" "${excludes[@]}" -cf - . | tar -C "$ROOT$stdlib" -xf -
  if [ ! -d "$ROOT$dynload" ]; then
    mkdir -p "$ROOT$dynload"
    tar -C "$dynload" "${excludes[@]}" -cf - . | tar -C "$ROOT$dynload" -xf -
  fi
  local -a modules
  mapfile -t modules < <(find "$ROOT$dynload" -name '*.so' | sed "s|^$ROOT||")
  mirror_libs "$exe" "${modules[@]}"
  [ -e "$ROOT/usr/local/bin/python3" ] || ln -s "$exe" "$ROOT/usr/local/bin/python3"
  [ -e "$ROOT/usr/local/bin/python" ] || ln -s "$exe" "$ROOT/usr/local/bin/python"
  import_root "$ROOT" "$image" "$runtime" '["python3"]'
  echo "$image: built ($runtime, $(size_of "$image"), $((SECONDS - start)) s)"
}

for kind in "${wanted[@]}"; do
  "build_$kind"
done
