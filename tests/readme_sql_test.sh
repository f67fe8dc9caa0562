#!/bin/sh
# readme_sql_test.sh - every "$ sqlite3 ..." example of the given
# Markdown files (docs/sql.md and the README), run on the sample tree of
# scripts/sample-tree.sh loaded with mkfs.sqlitefs -d, prints what the
# file shows.  An example is a "$ sqlite3" line in a ```console block,
# followed by its output up to the end of the block.  Prints TAP.  Needs
# root (the sample's owners), $MKFS_C, sqlite3, setfattr.
#   readme_sql_test.sh FILE...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
mkfs=${MKFS_C:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the sample tree's owners)"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/readme_sql_test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM

# Split the files into one file per example: cmd.N and want.N.
awk -v out="$dir" '
	/^```console$/ { block = 1; started = 0; next }
	/^```$/ { block = 0; next }
	block && /^\$ sqlite3 / {
		n++; started = 1
		print substr($0, 3) > (out "/cmd." n)
		print FILENAME > (out "/file." n)
		next
	}
	block && started { print > (out "/want." n) }
	END { print n + 0 > (out "/count") }
' "$@"
count=$(cat "$dir/count")
if [ "$count" -lt 8 ]; then
	echo "1..1"
	echo "not ok 1 - $* show at least 8 sqlite3 examples (found $count)"
	exit 1
fi

echo "1..$((count + 1))"
fail=0
if "$root/scripts/sample-tree.sh" "$dir/sample" >"$dir/err" 2>&1 &&
	(cd "$dir" && "$mkfs" -d sample data.db) >>"$dir/err" 2>&1; then
	echo "ok 1 - the sample tree loads"
else
	echo "not ok 1 - the sample tree loads"
	sed 's/^/# /' "$dir/err"
	exit 1
fi
i=1
while [ $i -le "$count" ]; do
	cmd=$(cat "$dir/cmd.$i")
	file=$(basename "$(cat "$dir/file.$i")")
	touch "$dir/want.$i"
	if (cd "$dir" && sh -c "$cmd") >"$dir/got.$i" 2>&1 &&
		cmp -s "$dir/want.$i" "$dir/got.$i"; then
		echo "ok $((i + 1)) - $file: $cmd"
	else
		echo "not ok $((i + 1)) - $file: $cmd"
		diff "$dir/want.$i" "$dir/got.$i" | sed 's/^/# /'
		fail=1
	fi
	i=$((i + 1))
done
exit $fail
