# mount_util.sh - a mount for the shell tests, sourced after tap.sh, with
# $dir (the test's temporary directory, holding mnt/) and $daemon set:
#   mount_db DB          the daemon in the foreground on $dir/mnt, until
#                        the mountpoint changes (1, its log shown, if it
#                        dies or takes 20 s)
#   umount_db            unmounts; 0 only if the daemon exits 0
#   expect_exit CODE DESCRIPTION COMMAND...
#                        TAP: the command exits CODE within 120 s (its
#                        output, in $dir/out, shown otherwise)
#   query DB SQL         the sqlite3 shell
#   cleanup_mount        for the test's exit trap: unmounts, stops the
#                        daemon and removes $dir
pid=

mount_db() {
	before=$(stat -c %d "$dir/mnt")
	"$daemon" -f "$1" "$dir/mnt" >>"$dir/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ "$(stat -c %d "$dir/mnt")" = "$before" ]; do
		i=$((i + 1))
		if [ $i -gt 1000 ] || ! kill -0 "$pid" 2>/dev/null; then
			sed 's/^/# /' "$dir/daemon.log"
			kill -9 "$pid" 2>/dev/null
			wait "$pid"
			fusermount3 -u -z "$dir/mnt" 2>/dev/null
			pid=
			return 1
		fi
		sleep 0.02
	done
}

umount_db() {
	fusermount3 -u "$dir/mnt" || return 1
	wait "$pid"
	st=$?
	pid=
	return $st
}

expect_exit() {
	want=$1
	what=$2
	shift 2
	timeout 120 "$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what (exit $got, want $want)"
		sed 's/^/# /' "$dir/out"
	fi
}

query() { sqlite3 -batch "$1" "$2"; }

cleanup_mount() {
	if [ -n "$pid" ]; then
		fusermount3 -u -z "$dir/mnt" 2>/dev/null
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
