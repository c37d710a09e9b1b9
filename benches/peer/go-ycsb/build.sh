#!/usr/bin/env bash
# Builds go-ycsb v1.0.3 (version pinned in go.mod beside this script) into bin/, for the peer
# comparison (../compare.py). Rebuilds only when go.mod/go.sum changed: their hash is stored
# next to the binary. `build.sh --check` only tells (exit 0 up to date, 1 not).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }
GOTOOLCHAIN="go$(awk '$1 == "go" {print $2}' go.mod)"
export GOTOOLCHAIN

bin="$here/bin/go-ycsb"
stamp="$here/bin/go-ycsb.hash"
want="$(cat go.mod go.sum | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  [ "${1:-}" = "--check" ] || echo "build.sh: $bin is up to date"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "build.sh: $bin is missing or older than go.mod/go.sum" >&2
  exit 1
fi

mkdir -p bin
echo "build.sh: building go-ycsb (go.mod/go.sum changed or no binary yet)"
start=$(date +%s)
# CGO off: the drivers that need C (RocksDB, SQLite, FoundationDB) are left out by their build
# tags; the MySQL driver geobench is compared with is pure Go.
CGO_ENABLED=0 go build -mod=readonly -trimpath -buildvcs=false -o "$bin.tmp" \
  github.com/pingcap/go-ycsb/cmd/go-ycsb
mv "$bin.tmp" "$bin"
echo "$want" > "$stamp"
echo "build.sh: built $bin in $(( $(date +%s) - start ))s"
