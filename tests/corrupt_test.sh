#!/bin/sh
# corrupt_test.sh - damaged database files: no crash, no hang, fsck reports
#
# A base image is filled through a real mount; each case copies it and
# damages the copy at random (seeded): bytes overwritten here and there, a
# whole page of random bytes, or the file cut short.  Then:
#   fsck -n exits 0, 4 or 8 within 30 s (never a signal, never a hang);
#   fsck -y exits 0, 1, 4 or 8, and if it said 0 or 1, a second -n says 0;
#   the daemon either refuses the file (exit 1, one line) or mounts it,
#   serves a walk that reads every file and xattr (errors allowed, EIO for
#   damaged objects) and unmounts with exit 0 or 1, never killed by a
#   signal or hung.
# Usage: corrupt_test.sh [CASES [SEED]]; prints TAP, one line per case.
# Environment: SQLITEFS, MKFS, FSCK.
set -u
FSCK=${FSCK:-build/src/fsck.sqlitefs}
SQLITEFS=${SQLITEFS:-build/src/sqlitefs}
MKFS=${MKFS:-scripts/mkfs.sh}
cases=${1:-60}
seed=${2:-$(($(date +%s) % 100000))}
dir=$(mktemp -d "${TMPDIR:-/tmp}/corrupt-test.XXXXXX")
pid=
fails=0

cleanup() {
	if [ -n "$pid" ]; then
		fusermount3 -u -z "$dir/mnt" 2>/dev/null
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# rand N: R becomes a number in [0, N) from the seeded generator (no
# subshell: it must advance the state)
state=$seed
rand() {
	state=$(((state * 1103515245 + 12345) % 2147483648))
	R=$((state / 65536 % $1))
}

# mount_db DB: 0 mounted, 1 refused (daemon exited), 2 hung
mount_db() {
	before=$(stat -c %d "$dir/mnt")
	"$SQLITEFS" -f "$1" "$dir/mnt" >"$dir/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ "$(stat -c %d "$dir/mnt")" = "$before" ]; do
		i=$((i + 1))
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			st=$?
			pid=
			[ $st -eq 1 ] && return 1
			echo "# daemon exited $st before mounting" >&2
			return 2
		fi
		if [ $i -gt 1000 ]; then
			kill -9 "$pid"
			wait "$pid"
			fusermount3 -u -z "$dir/mnt" 2>/dev/null
			pid=
			return 2
		fi
		sleep 0.02
	done
	return 0
}

# umount_db: the daemon's exit status, 124 if it hung
umount_db() {
	fusermount3 -u "$dir/mnt" 2>/dev/null || fusermount3 -u -z "$dir/mnt"
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1000 ]; then
			kill -9 "$pid"
			wait "$pid"
			pid=
			return 124
		fi
		sleep 0.02
	done
	wait "$pid"
	st=$?
	pid=
	return $st
}

mkdir "$dir/mnt"
base=$dir/base.db
"$MKFS" -b 4096 -p 4096 "$base" >/dev/null || {
	echo "Bail out! mkfs"
	exit 1
}
mount_db "$base" || {
	echo "Bail out! mount"
	exit 1
}
(
	cd "$dir/mnt" || exit 1
	for d in 1 2 3 4; do
		mkdir -p "d$d/sub$d"
		for f in 1 2 3 4 5 6; do
			head -c $((d * f * 3001)) /dev/urandom >"d$d/f$f"
		done
		ln "d$d/f1" "d$d/sub$d/link"
		ln -s "../d$d/f2" "d$d/sub$d/sym"
		setfattr -n user.tag -v "dir$d" "d$d/f3"
	done
	dd if=/dev/urandom of=sparse bs=4096 seek=1000 count=3 2>/dev/null
) || echo "Bail out! fill"
umount_db || echo "Bail out! unmount"
size=$(stat -c %s "$base")
pages=$((size / 4096))
echo "# seed $seed, base image $size bytes"

# walk: read every file and xattr; errors are allowed, a hang is not
walk() {
	timeout 60 sh -c '
		find "$1" >/dev/null 2>&1
		ls -laR "$1" >/dev/null 2>&1
		find "$1" -type f -exec cat {} + >/dev/null 2>&1
		find "$1" -exec getfattr -d {} + >/dev/null 2>&1
		find "$1" -type l -exec readlink {} + >/dev/null 2>&1
		exit 0' walk "$dir/mnt"
}

refused=0
mounted=0
fsck_found=0
n=0
while [ $n -lt "$cases" ]; do
	n=$((n + 1))
	img=$dir/img.db
	cp "$base" "$img"
	rand 3
	case $R in
	0)
		rand 32
		k=$((1 + R))
		what="$k random bytes"
		while [ $k -gt 0 ]; do
			rand "$pages"
			off=$((R * 4096))
			rand 4096
			off=$((off + R))
			head -c 1 /dev/urandom | dd of="$img" bs=1 seek=$off \
				conv=notrunc 2>/dev/null
			k=$((k - 1))
		done
		;;
	1)
		rand "$pages"
		p=$R
		what="page $p random"
		head -c 4096 /dev/urandom | dd of="$img" bs=4096 seek="$p" \
			conv=notrunc 2>/dev/null
		;;
	2)
		rand "$pages"
		len=$((R * 4096))
		rand 2
		if [ $R -eq 1 ]; then
			rand 4096
			len=$((len + R))
		fi
		what="cut at $len"
		truncate -s "$len" "$img"
		;;
	esac
	problem=
	timeout 30 "$FSCK" -n "$img" >"$dir/fsck.out" 2>&1
	st=$?
	case $st in
	0) ;;
	4 | 8) fsck_found=$((fsck_found + 1)) ;;
	*) problem="fsck -n exited $st" ;;
	esac
	cp "$img" "$img.y"
	timeout 30 "$FSCK" -y "$img.y" >"$dir/fsck.out" 2>&1
	st=$?
	case $st in
	0 | 1)
		timeout 30 "$FSCK" -n "$img.y" >"$dir/fsck.out" 2>&1
		st2=$?
		[ $st2 -eq 0 ] || problem="$problem; fsck -n after -y exited $st2"
		;;
	4 | 8) ;;
	*) problem="$problem; fsck -y exited $st" ;;
	esac
	mount_db "$img"
	st=$?
	if [ $st -eq 0 ]; then
		mounted=$((mounted + 1))
		walk || problem="$problem; the walk hung"
		umount_db
		st=$?
		[ $st -le 1 ] || problem="$problem; daemon exited $st"
	elif [ $st -eq 1 ]; then
		refused=$((refused + 1))
		[ "$(wc -l <"$dir/daemon.log")" -ge 1 ] ||
			problem="$problem; refused without a reason"
	else
		problem="$problem; mount hung or crashed"
	fi
	if [ -z "$problem" ]; then
		echo "ok $n - $what"
	else
		fails=$((fails + 1))
		echo "not ok $n - $what:$problem"
		sed 's/^/# /' "$dir/fsck.out" "$dir/daemon.log" | tail -20
		cp "$img" "${TMPDIR:-/tmp}/corrupt-case-$seed-$n.db" 2>/dev/null &&
			echo "# kept as ${TMPDIR:-/tmp}/corrupt-case-$seed-$n.db"
	fi
done
echo "# $n images: $mounted mounted, $refused refused, fsck found damage in $fsck_found; $fails failed"
[ $fails -gt 0 ] && echo "# replay: corrupt_test.sh $cases $seed"
echo "1..$n"
[ $fails -eq 0 ]
