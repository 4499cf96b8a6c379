#!/usr/bin/env bash
# Installs the pinned Terraform (checksum-verified) for the CodeBuild projects (ARM image).
set -euo pipefail
version="${TERRAFORM_VERSION:?TERRAFORM_VERSION is not set}"
cd /tmp
curl -fsSLO "https://releases.hashicorp.com/terraform/${version}/terraform_${version}_linux_arm64.zip"
curl -fsSLO "https://releases.hashicorp.com/terraform/${version}/terraform_${version}_SHA256SUMS"
grep "terraform_${version}_linux_arm64.zip" "terraform_${version}_SHA256SUMS" | sha256sum -c -
unzip -o -q "terraform_${version}_linux_arm64.zip" -d /usr/local/bin
mkdir -p "${TF_PLUGIN_CACHE_DIR:-/root/.terraform.d/plugin-cache}"
terraform version
