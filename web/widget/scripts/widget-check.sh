#!/usr/bin/env bash
# O1: rebuild the widget from the pinned lockfile into a temporary directory
# and fail if the result differs from the committed dist/board.html.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm ci --no-audit --no-fund
npx tsc --noEmit -p tsconfig.json
node --test test/unit/
npx vite build --outDir "$tmp" --emptyOutDir
node scripts/check-dist.mjs "$tmp/board.html"
if ! cmp -s "$tmp/board.html" dist/board.html; then
	echo "widget-check: dist/board.html is not what the sources build (run 'make widget' and commit):" >&2
	diff <(fold -w 120 dist/board.html) <(fold -w 120 "$tmp/board.html") | head -40 >&2 || true
	exit 1
fi
echo "widget-check: dist/board.html is reproducible from the sources"
