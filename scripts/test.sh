#!/bin/sh
# test.sh - build sqlitefs and run the whole test suite
#   scripts/test.sh             the normal build, in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UBSan build, in build-asan/
#   scripts/test.sh --tsan      ThreadSanitizer build, in build-tsan/: the
#                               suites where the request loop and the
#                               committer thread share the connection
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ "${1:-}" = "--sanitize" ]; then
	scripts/build.sh build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug
	meson test -C build-asan --print-errorlogs --num-processes 2
elif [ "${1:-}" = "--tsan" ]; then
	scripts/build.sh build-tsan -Db_sanitize=thread -Dbuildtype=debug
	meson test -C build-tsan --print-errorlogs --num-processes 2 \
		mount_test stress_test stress_test_commit1 randops
else
	scripts/build.sh build
	meson test -C build --print-errorlogs --num-processes 2
fi
