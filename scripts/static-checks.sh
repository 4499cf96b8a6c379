#!/usr/bin/env bash
# The test command's static checks: `tsc --noEmit`, eslint and prettier --check, all three at once
# (each mostly one core; CI has two, and tsc and eslint each spend seconds waiting on loading).
# Each one's output goes to its own file and is printed after all have finished, in that order and
# under its own heading, so the three never interleave. Fails when any fails, naming which.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/ledgerline-static-checks.XXXXXX")
trap 'rm -rf "$out"' EXIT

names=(tsc eslint prettier)
commands=(
  "npx tsc --noEmit"
  "npx eslint --max-warnings 0 ."
  "npx prettier --check --log-level warn ."
)
pids=()
for i in "${!names[@]}"; do
  # shellcheck disable=SC2086 # each command is a fixed list of words
  (
    started=$SECONDS
    ${commands[$i]} >"$out/${names[$i]}.log" 2>&1
    code=$?
    echo "$code $((SECONDS - started))" >"$out/${names[$i]}.status"
    exit "$code"
  ) &
  pids+=($!)
done

failed=()
timings=()
for i in "${!names[@]}"; do
  wait "${pids[$i]}"
  code=$?
  seconds=$(cut -d' ' -f2 "$out/${names[$i]}.status" 2>/dev/null || echo '?')
  if [ -s "$out/${names[$i]}.log" ] || [ "$code" -ne 0 ]; then
    echo "── ${commands[$i]} (exit $code, ${seconds} s) ──"
    cat "$out/${names[$i]}.log"
  fi
  timings+=("${names[$i]} ${seconds} s")
  [ "$code" -eq 0 ] || failed+=("${names[$i]} (exit $code)")
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "static checks: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "static checks: tsc, eslint and prettier clean ($(IFS=,; echo "${timings[*]}" | sed 's/,/, /g'))"
