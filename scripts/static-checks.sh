#!/usr/bin/env bash
# The test command's static checks: `tsc --noEmit` beside eslint + prettier (each mostly one core;
# CI has two). Fails when either fails, after both have finished and printed what they found.
set -u
npm run -s typecheck &
typecheck_pid=$!
npm run -s lint
lint=$?
wait "$typecheck_pid"
typecheck=$?
[ "$typecheck" -eq 0 ] || echo "static checks: tsc --noEmit failed (exit $typecheck)" >&2
[ "$lint" -eq 0 ] || echo "static checks: eslint/prettier failed (exit $lint)" >&2
[ "$typecheck" -eq 0 ] && [ "$lint" -eq 0 ]
