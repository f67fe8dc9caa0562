#!/bin/sh
# valgrind.sh - the daemon under valgrind, for the mount suites: a memory
# error or a definite leak makes it exit 99, and the suite fails on a
# daemon that does not exit 0 after unmount.  $VALGRIND_DAEMON is the
# sqlitefs binary; the arguments are its own.
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	"${VALGRIND_DAEMON:?}" "$@"
