#!/bin/sh
# bench.sh - sqlitefs side by side with libfuse's passthrough_ll
#   scripts/bench.sh [--rounds N] [--scale] [--space] [bench.py options...]
#   scripts/bench.sh --only latency,real   (latency under load, real-world work)
#   scripts/bench.sh --no-compare --journal-overhead | --index-cost | --search
# Builds sqlitefs (build/), benchtool and passthrough_ll, and runs
# bench/bench.py in build-bench/work (on the same disk as the repository).
# Needs root: it mounts, and drops the page cache between workloads.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
if ! command -v fio >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null
fi
scripts/build.sh build
out=build-bench
mkdir -p "$out/work"
example=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
# shellcheck disable=SC2046
cc -O2 -o "$out/passthrough_ll" "$example" \
	$(pkg-config --cflags --libs fuse3) -lpthread
# passthrough_ll keeps an open descriptor per inode it knows
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec python3 bench/bench.py --sqlitefs build/src/sqlitefs \
	--mkfs scripts/mkfs.sh --passthrough "$out/passthrough_ll" \
	--benchtool build/bench/benchtool --work "$out/work" "$@"
