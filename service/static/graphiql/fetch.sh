#!/usr/bin/env bash
# Fetches GraphiQL and the React it runs on from the npm registry into this folder, at the pinned versions, with
# their licences. Run it to update them (change the versions here), then commit the files and SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.8.3 REACT=18.2.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for name in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
    mkdir "$work/$name" && tar xzf "$work/$name.tgz" -C "$work/$name"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" .
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" LICENSE.graphiql
cp "$work/react-$REACT/package/umd/react.production.min.js" .
cp "$work/react-$REACT/package/LICENSE" LICENSE.react
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" .
cp "$work/react-dom-$REACT/package/LICENSE" LICENSE.react-dom
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js > SHA256SUMS
echo "graphiql $GRAPHIQL, react and react-dom $REACT"
