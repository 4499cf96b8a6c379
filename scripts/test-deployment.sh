#!/usr/bin/env bash
# The deployment half of `npm test` (TF-1): real Terraform on every synthesized stack: `terraform
# test` with a mock AWS provider. Its plan validates each configuration first (what `terraform
# validate` checks, and then the provider's plan-time checks validate cannot make), so a separate
# validate pass would only repeat it; `npm run terraform:validate` still runs it on its own.
# The rehearsal (REH-1) runs inside jest at 300
# authorisations (test/rehearsal/rehearsal.test.ts); `npm run rehearse` runs it at 10,000
# (buildspecs/ci.yml does, on CodeBuild's larger machine).
#
# Terraform needs the `terraform` binary and the hashicorp/aws 5.100.0 provider (a filesystem
# mirror, see terraform/README.md). Where either is missing the Terraform step is SKIPPED
# with a banner naming what is missing (exit code 3 of scripts/terraform.ts), and everything else
# still runs; LEDGERLINE_REQUIRE_TERRAFORM=1 turns that skip into a failure. Any error fails.
set -uo pipefail
cd "$(dirname "$0")/.."
require=()
[ "${LEDGERLINE_REQUIRE_TERRAFORM:-0}" = 1 ] && require=(--require)

status=0
for step in test; do
  # One Node process with tsx's hooks (the tsx command, through npx, starts two more).
  node --import tsx scripts/terraform.ts "$step" "${require[@]}"
  code=$?
  if [ "$code" = 3 ]; then
    echo "!!! terraform $step SKIPPED (see the banner above): the synthesized Terraform was NOT run through real Terraform on this machine !!!" >&2
  elif [ "$code" != 0 ]; then
    status=1
  fi
done
exit "$status"
