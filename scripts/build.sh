#!/bin/sh
# build.sh - configure (once) and build sqlitefs in DIR (default: build)
#   scripts/build.sh [DIR [meson setup options...]]
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ -f "$dir/build.ninja" ]; then
	meson configure "$dir" -Dwerror=true "$@" >/dev/null
else
	meson setup "$dir" -Dwerror=true "$@" >/dev/null
fi
meson compile -C "$dir" >/dev/null
