#!/usr/bin/env bash
# Re-fetch the browser files of the GraphiQL page into api/static/graphiql/.
#
# Strawberry's GraphiQL page loads react, react-dom, js-cookie, graphiql and
# @graphiql/plugin-explorer from a CDN; Loanwatch serves committed copies instead, so
# GraphiQL works without internet access (api/graphiql.py rewrites the page).
# package.json pins the exact versions Strawberry's page names, package-lock.json pins
# the tarballs; `npm ci` installs them into a temporary folder (nothing is left here)
# and only the minified files the page loads, with each package's licence, are copied,
# laid out as on the CDN: api/static/graphiql/<package>@<version>/<path>.
#
# After upgrading strawberry-graphql: set the versions its page names in package.json,
# run `npm install --package-lock-only --ignore-scripts` here, then this script, then
# `pytest tests/api/test_graphiql_static.py` (it checks every file against the page's
# integrity hashes).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dest=$(cd "$here/../.." && pwd)/api/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
modules=$work/node_modules

# The folder of package $1 under $dest, named <package>@<installed version>.
target() {
    echo "$dest/$1@$(node -p "require('$modules/$1/package.json').version")"
}

# copy PACKAGE FILE...: copy each FILE of PACKAGE (a path inside it) to the same path
# under the package's folder in $dest.
copy() {
    local package=$1 file dir
    shift
    dir=$(target "$package")
    for file in "$@"; do
        mkdir -p "$dir/$(dirname "$file")"
        cp "$modules/$package/$file" "$dir/$file"
    done
}

rm -rf "$dest"
mkdir -p "$dest"
copy react LICENSE umd/react.production.min.js
copy react-dom LICENSE umd/react-dom.production.min.js
copy js-cookie LICENSE dist/js.cookie.min.js
copy graphiql LICENSE graphiql.min.js graphiql.min.css
copy @graphiql/plugin-explorer dist/index.umd.js dist/style.css

# @graphiql/plugin-explorer (MIT, per its package.json) ships no LICENSE file; it comes
# from the same repository as graphiql (github.com/graphql/graphiql), whose licence
# covers it. Its UMD bundle includes graphiql-explorer, which has a licence of its own.
explorer=$(target @graphiql/plugin-explorer)
cp "$modules/graphiql/LICENSE" "$explorer/LICENSE"
bundled=$(cd "$modules/@graphiql/plugin-explorer" &&
          node -p "require('path').dirname(require.resolve('graphiql-explorer/package.json'))")
cp "$bundled/LICENSE" "$explorer/LICENSE.graphiql-explorer"

echo "GraphiQL assets in $dest:"
(cd "$dest" && find . -type f | sort && du -sh --apparent-size .)
