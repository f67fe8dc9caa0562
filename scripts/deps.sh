#!/bin/sh
# deps.sh - install what building and testing sqlitefs needs (Debian 12, root)
set -eu
pkgs="libfuse3-dev fuse3 libsqlite3-dev sqlite3 check meson ninja-build \
pkg-config libmount-dev gcc clang-format attr acl rsync"
# operations: tests/treedesc.py, the man page test; the daemon under valgrind
pkgs="$pkgs python3 man-db valgrind"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
