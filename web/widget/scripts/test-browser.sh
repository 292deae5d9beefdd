#!/usr/bin/env bash
# Browser tests of the task board: installs what they need (npm ci; Debian
# chromium when missing and we are root), builds the test host, and runs the
# Go harnesses that drive headless chromium through playwright-core: the
# task board (web/widget/browsertest), linking an app through the login
# and consent pages (dev/e2e TestBrowserLinksAnAppThroughTheRealPages),
# and the official TypeScript MCP clients (SDK v2 pinned to 2026-07-28, v1
# at 2025-11-25) linking and using the real server end to end, a new visitor
# signing up on the way (TestBrowserTypeScriptClientsLinkAndUseEveryTool).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(cd ../.. && pwd)

skip() {
	if [ -n "${CI:-}" ]; then
		# In CI a skipped browser run would hide a broken board or consent
		# flow behind a green build: fail instead.
		echo "test-browser: cannot run the browser tests in CI: $1" >&2
		exit 1
	fi
	echo
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "!!! SKIPPING WIDGET BROWSER TESTS: $1"
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo
	exit 0
}

command -v npm >/dev/null || skip "npm is not installed"
if [ ! -x /usr/bin/chromium ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing Debian chromium for the browser tests"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		skip "/usr/bin/chromium is missing and we are not root (apt-get install chromium)"
	fi
fi

npm ci --no-audit --no-fund
npm run build:testhost
cd "$root"
TASKBRIDGE_BROWSER_TESTS=1 ${GO:-go} test -count=1 -run TestBrowser -v ./web/widget/browsertest/ ./dev/e2e/
