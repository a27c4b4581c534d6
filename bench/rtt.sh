#!/bin/bash
# rtt.sh - memcached round trips per accepted recipient (issue 15).
#
#   bash bench/rtt.sh [BUILD_DIR]     (default _build; needs bench/rtt built:
#                                      make bench/rtt in BUILD_DIR)
#
# Starts a private memcached on a free loopback port (tests/lib/memcached.sh)
# and runs bench/rtt in three cases: distinct recipients one per message
# (the common path), ten recipients per message, and one recipient sent to
# 1,000 times with RecipientHourlyLimit 1,000 (the frequency slots fill up).
# Each case gets an empty memcached.  bench/rtt prints the requests the
# engine made per accepted recipient and memcached's own counters.
# Stops the memcached it started, by PID, on exit.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
rtt=${RTT:-$build/bench/rtt}
[ -x "$rtt" ] || { echo "rtt.sh: $rtt not built (make bench/rtt)" >&2; exit 1; }

# shellcheck source=tests/lib/testlib.sh
. "$top/tests/lib/testlib.sh"
# shellcheck source=tests/lib/memcached.sh
. "$top/tests/lib/memcached.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/ses-rtt.XXXXXX")
trap 'mc_stop_all; rm -rf "$work"' EXIT

# run_case ARGS...: a fresh memcached, then bench/rtt ADDR ARGS...
run_case() {
	mc_stop_all >/dev/null 2>&1 || true
	local addr
	addr=$(mc_start "$work/mc" one)
	echo
	"$rtt" "$addr" "$@"
}

run_case 500 1 10
run_case 100 10 10
run_case 1000 1 1000 same
