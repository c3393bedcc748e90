#!/usr/bin/env bash
# Fetches axe-core (the accessibility checker the browser tests inject into the record viewer) from the npm
# registry at the pinned version, with its licence (MPL-2.0). It is used by the tests only, never served.
# Run it to update it (change the version here), then commit the files and SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")"
AXE=4.14.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$AXE" >/dev/null && tar xzf "axe-core-$AXE.tgz")
cp "$work/package/axe.min.js" .
cp "$work/package/LICENSE" LICENSE.axe-core
sha256sum axe.min.js > SHA256SUMS
echo "axe-core $AXE"
