# Shell helpers shared by tests/e2e/run.sh and packaging/test-deb.sh. Source it after setting SB
# (the sandbox script) and PASSED=0 FAILED=0.

sbx() { bash "$SB" "$@"; }   # the sandbox script (no exec bit needed)
sb() { sbx exec "$@"; }     # run a command inside the sandbox
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
note() { echo "      $*"; }
why() { echo "      ! $*"; return 1; }   # a check's reason for failing

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail once the deadline passed.
wait_until() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

check() { # check ID TITLE FUNCTION: run FUNCTION in a subshell with -e; PASS/FAIL with its time
	local t0 rc
	t0=$(date +%s%N)
	echo "--- $1. $2"
	(set -e; "$3")
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS  $1. $2  ($(ms "$t0") ms)"; PASSED=$((PASSED + 1))
	else
		echo "FAIL  $1. $2  ($(ms "$t0") ms)"; FAILED=$((FAILED + 1))
	fi
}
