#!/bin/sh
# lint.sh - the layering rules of docs/design.md, checked by grep
#   only the db layer (db.c, db_*.c and its private db_impl.h) and the
#   tools' SQL files (*_db.c: fsck_db.c, fsck_journal_db.c,
#   changes_db.c, find_db.c) include <sqlite3.h>;
#   the db layer (db.h, db.c, db_*.[ch]) uses nothing of libfuse;
#   every SQLite connection is opened by db_sqlite_open() (one call of
#   sqlite3_open_v2, in db_open.c), which hardens it;
#   handlers (fs_*.c) build no SQL; sources are clang-format clean
#   (clang-format missing is a failure, not a pass).
set -u
src=$1/src
fail=0
for f in "$src"/*.c "$src"/*.h; do
	case $(basename "$f") in
	db.c | db_*.c | db_impl.h | *_db.c) ;;
	*) if grep -q '#include <sqlite3.h>' "$f"; then
		echo "lint: $f includes sqlite3.h (only db.c, db_*.c," \
			"db_impl.h and the tools' *_db.c may)"; fail=1
	   fi ;;
	esac
done
opens=$(grep -o 'sqlite3_open[_a-z0-9]*(' "$src"/*.c | sort | uniq -c)
if [ "$(echo "$opens" | awk '{print $1, $2}')" != "1 $src/db_open.c:sqlite3_open_v2(" ]; then
	echo "lint: SQLite connections opened other than by db_sqlite_open():"
	echo "$opens"; fail=1
fi
for f in "$src"/db.h "$src"/db.c "$src"/db_*.c "$src"/db_*.h; do
	if grep -q '#include <fuse\|fuse_[a-z_]*(\|FUSE_' "$f"; then
		echo "lint: $f uses libfuse (the db layer may not)"; fail=1
	fi
done
for f in "$src"/fs_*.c; do
	if grep -qiE '"(SELECT|INSERT|UPDATE|DELETE) ' "$f"; then
		echo "lint: $f contains SQL"; fail=1
	fi
done
if ! command -v clang-format >/dev/null 2>&1; then
	echo "lint: clang-format not found (scripts/deps.sh installs it)"
	fail=1
else
	for f in "$1"/src/*.c "$1"/src/*.h "$1"/tests/*.c "$1"/tests/*.h \
		"$1"/bench/*.c; do
		if ! clang-format --style=file:"$1/.clang-format" --dry-run \
			--Werror "$f" >/dev/null 2>&1; then
			echo "lint: $f is not clang-format clean"; fail=1
		fi
	done
fi
[ $fail -eq 0 ] && echo "lint: ok"
exit $fail
