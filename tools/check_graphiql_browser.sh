#!/usr/bin/env bash
# Check by hand that GraphiQL renders in a real browser with no internet: serve the API
# (`loanwatch serve`, on an empty database in a temporary folder, on a free loopback
# port), load /graphql in headless Chromium with every host but 127.0.0.1 unresolvable,
# and assert that GraphiQL's editor rendered, opened on Loanwatch's example query.
#
# Usage: tools/check_graphiql_browser.sh [SCREENSHOT.png]
# Needs Chromium (Debian: apt-get install chromium) and the project's .venv (make install).
# Not part of the test suite, since CI machines may have no browser.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
screenshot=${1:-}
[[ -x $chromium ]] || { echo "no Chromium at $chromium (set CHROMIUM)" >&2; exit 2; }

work=$(mktemp -d)
server=""
cleanup() {
    if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$("$root/.venv/bin/python" -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
LOANWATCH_DATA_DIR=$work/data LOANWATCH_ENVIRONMENT=development \
    "$root/.venv/bin/loanwatch" serve --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "$base/healthz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
done

browse() {  # browse OPTION...: headless Chromium on /graphql, offline but for loopback
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$(mktemp -d -p "$work")" --window-size=1400,900 \
        --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
        --virtual-time-budget=10000 "$@" "$base/graphql" 2>>"$work/chromium.log"
}

browse --dump-dom >"$work/dom.html"
failed=0
expect() {  # expect WHAT PATTERN: the rendered DOM matches the extended regex PATTERN
    if grep -Eq -- "$2" "$work/dom.html"; then
        echo "ok:     $1"
    else
        echo "FAILED: $1" >&2
        failed=1
    fi
}
expect "GraphiQL rendered into its root element" \
    'id="graphiql"[^>]*><div data-testid="graphiql-container"'
expect "the query editor rendered" 'class="graphiql-query-editor"'
expect "CodeMirror runs in the editor" 'class="CodeMirror cm-s-graphiql"'
expect "the editor opened on the example query" 'cm-def">GuaranteeNetworks<'
if grep -q 'Loading\.\.\.' "$work/dom.html"; then
    echo "FAILED: the page still says Loading..." >&2
    failed=1
fi

if [[ -n $screenshot ]]; then
    browse --screenshot="$screenshot" >/dev/null
    echo "screenshot: $screenshot"
fi

# Every file the page loaded came from this server and was found.
if grep -E '"(GET|HEAD) [^"]*" [45][0-9][0-9]' "$work/server.log" >&2; then
    echo "FAILED: requests above were not answered" >&2
    failed=1
fi
if [[ $failed -ne 0 ]]; then
    if [[ -n ${KEEP:-} ]]; then
        cp "$work/dom.html" "$KEEP"
        echo "rendered DOM: $KEEP" >&2
    else
        echo "rerun with KEEP=FILE to keep the rendered DOM" >&2
    fi
    exit 1
fi
echo "GraphiQL renders from the self-hosted files."
