# tap.sh - TAP helpers for the shell tests, sourced after they set up
#   ok NAME, not_ok NAME, check NAME EXPR (eval'd: ok when it succeeds);
#   $fail is 1 once anything failed, for the test's exit status.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
