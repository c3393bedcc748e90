#!/usr/bin/env bash
# Fetches what the record viewer is built on from the npm registry, at the pinned versions, into this folder:
# GOV.UK Frontend's styles, compiled from govuk.scss with Dart Sass (the `sass` package, used only here), and its
# JavaScript as published; graphql-ws's client (an ES module and the module it imports), with its licence.
# Run it to update them (change the versions here), then commit the files and SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")"
FRONTEND=6.6.0 SASS=1.108.2 GRAPHQL_WS=6.4.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --silent --no-audit --no-fund --prefix "$work" "govuk-frontend@$FRONTEND" "sass@$SASS" "graphql-ws@$GRAPHQL_WS" >/dev/null
modules="$work/node_modules"
"$modules/.bin/sass" --no-source-map --style=compressed --quiet-deps --load-path="$modules" govuk.scss govuk-frontend.min.css
# (the published file ends by naming a source map that is not shipped)
sed '$ s|//# sourceMappingURL=.*$||' "$modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" > govuk-frontend.min.js
rm -rf graphql-ws && mkdir graphql-ws
cp "$modules/graphql-ws/dist/client.js" "$modules"/graphql-ws/dist/common-*.js graphql-ws/
cp "$modules/graphql-ws/LICENSE.md" LICENSE.graphql-ws
sha256sum govuk-frontend.min.css govuk-frontend.min.js graphql-ws/*.js > SHA256SUMS
echo "govuk-frontend $FRONTEND (styles built with sass $SASS), graphql-ws $GRAPHQL_WS"
