# Sourced by the test scripts, so that they poll with a deadline instead of
# sleeping, all in the same way.
#
# wait_until WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds, for
# at most $wait_secs seconds (30 unless the script sets it). On timeout it
# says what it waited for (after "$test_name: " when the script sets one),
# runs the script's `on_timeout` if it has one (to show the logs that
# explain it), and fails.
wait_until() {
  local what="$1"; shift
  for _ in $(seq $((${wait_secs:-30} * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "${test_name:+$test_name: }timed out waiting for $what" >&2
  if declare -F on_timeout >/dev/null; then on_timeout >&2 || true; fi
  return 1
}
