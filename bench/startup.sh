#!/usr/bin/env bash
# Measures Safeguard's start-up (empty data folder to /readyz 200, first start
# with migrations and key creation; then a restart of the same folder) and its
# idle memory (RSS after a few requests and 5 s of idling).
# Usage: bash bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
bin=$(mktemp -d)/safeguard
CGO_ENABLED=0 go build -o "$bin" ./cmd/safeguard
port=18765

now_ms() { date +%s%3N; }

measure() { # data-folder -> prints ms until /readyz answers 200
	local dir=$1 start end pid
	start=$(now_ms)
	"$bin" serve --addr 127.0.0.1:$port --data "$dir" --log-format json >/dev/null 2>&1 &
	pid=$!
	until curl -fs -o /dev/null http://127.0.0.1:$port/readyz; do sleep 0.002; done
	end=$(now_ms)
	echo "$((end - start)) $pid"
}

first=() restart=()
for i in $(seq "$runs"); do
	dir=$(mktemp -d)/data
	read -r ms pid < <(measure "$dir")
	first+=("$ms")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	read -r ms pid < <(measure "$dir")
	restart+=("$ms")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	rm -rf "$(dirname "$dir")"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "start-up, empty data folder to /readyz 200 (ms, $runs runs): median $(median "${first[@]}"), all: ${first[*]}"
echo "restart of an existing folder to /readyz 200 (ms):           median $(median "${restart[@]}"), all: ${restart[*]}"

dir=$(mktemp -d)/data
read -r ms pid < <(measure "$dir")
for p in / /healthz /readyz /metrics /nowhere; do curl -s -o /dev/null "http://127.0.0.1:$port$p"; done
sleep 5
echo "idle memory after requests: $(awk '/VmRSS/ {print $2/1024 " MiB RSS"}' /proc/$pid/status), $(awk '/VmHWM/ {print $2/1024 " MiB peak"}' /proc/$pid/status)"
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$(dirname "$dir")" "$(dirname "$bin")"
