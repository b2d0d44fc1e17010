#!/usr/bin/env bash
# The typed client example in CI: install it, check that its generated types match
# schema.graphql and its operations, type-check it, and run it against a live demo server of
# this checkout (SQLite in a temporary folder, a free port). Needs the root's `npm ci` first.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)

npm ci --no-audit --no-fund
npm run codegen:check
npm run typecheck

tmp=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATABASE_URL="$tmp/client-example.db" PORT="$port" HOST=127.0.0.1 \
  node "$repo/bin/chat-gateway.js" serve --demo >"$tmp/server.log" 2>&1 &
server=$!
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap stop_server EXIT

url="http://127.0.0.1:$port/graphql"
for _ in $(seq 1 150); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "client example: the demo server exited:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  if node -e "fetch(process.argv[1],{headers:{accept:'text/html'}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$url"; then
    break
  fi
  sleep 0.2
done

GATEWAY_URL="$url" API_KEY=cgw_demo_acme_2f6c1d9a npm start
