#!/usr/bin/env bash
# Fails when the code can reach a known vulnerability, in the standard library
# of the Go release it is built with or in a dependency.
#
# The public vulnerability endpoint (vuln.go.dev) may be out of reach, so the
# database is built here from the golang.org/x/vulndb module, which the Go
# module proxy serves: its data/osv/*.json files are indexed into the layout
# govulncheck reads with -db file:///... (index/db.json, index/modules.json,
# ID/GO-*.json) by vulndb's own cmd/indexdb, and kept per vulndb version.
#
#   VULNDB_VERSION  the golang.org/x/vulndb version to use (default: latest)
#   VULNDB_CACHE    where built databases are kept (default: ~/.cache/safeguard-vulndb)
#
# Exit status: 0 nothing reachable, 3 a reachable vulnerability (govulncheck's
# own code), anything else a failure to run the check.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.26.10}"
export GOFLAGS="${GOFLAGS:-}"

govulncheck_version=v1.10.0
vulndb_version="${VULNDB_VERSION:-latest}"
cache="${VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/safeguard-vulndb}"

# govulncheck built by the same Go release as the code it reads.
gobin="$(go env GOPATH)/bin"
GOBIN="$gobin" go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version"

# Download the vulndb module outside our module, so go.mod stays untouched.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
info="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$vulndb_version")"
field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1; }
version="$(field Version)"
src="$(field Dir)"
if [ -z "$version" ] || [ ! -d "$src/data/osv" ]; then
	echo "vulncheck: golang.org/x/vulndb@$vulndb_version has no data/osv folder" >&2
	exit 1
fi
db="$cache/$version"
if [ ! -f "$db/index/modules.json" ]; then
	mkdir -p "$cache"
	rm -rf "$tmp/db"
	(cd "$tmp" && go run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$src/data/osv" -out "$tmp/db")
	rm -rf "$db"
	mv "$tmp/db" "$db"
fi
echo "vulncheck: $(go env GOVERSION), govulncheck $govulncheck_version, golang.org/x/vulndb $version ($(ls "$db/ID" | grep -c "\.json$") entries)"
"$gobin/govulncheck" -db "file://$db" ./...
