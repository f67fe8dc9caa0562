# tap.sh - TAP helpers for the shell tests, sourced after they set up
#   ok NAME, not_ok NAME, check NAME EXPR (eval'd: ok when it succeeds);
#   $fail is 1 once anything failed, for the test's exit status.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# In a new mount namespace (unshare -m), detaches its copies of FUSE
# mounts made outside it: a copy keeps their daemons serving after they
# are unmounted outside, so a test running beside this one would see its
# daemon not exit.  Call before mounting anything in the namespace.
detach_outside_fuse_mounts() {
	awk '$3 ~ /^fuse/ { print $2 }' /proc/self/mounts | while read -r m; do
		umount -l "$(printf '%b' "$m")" 2>/dev/null || :
	done
}
