#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous streaming standby on loopback, made
# with Debian's cluster tools, for the failover test (cmd/safeguard
# failover_test.go) and for trying failover by hand.
#
#   .ci/pg-standby.sh up      create and start both clusters (nothing to do
#                             when they are already up and streaming)
#   .ci/pg-standby.sh down    stop and drop both clusters
#   .ci/pg-standby.sh status  exit 0 when the primary takes writes and the
#                             standby streams from it synchronously
#   .ci/pg-standby.sh kill-primary   stop the primary at once (immediate
#                             mode: no checkpoint, connections cut), as a crash
#   .ci/pg-standby.sh freeze-primary  stop the primary's processes
#                             (SIGSTOP) with their connections open, as a
#                             machine that hangs or drops off the network
#   .ci/pg-standby.sh promote make the standby the primary, once it has
#                             replayed all it received
#
# The primary (sgprimary, port 5441) waits for the standby (sgstandby, port
# 5442) to have each commit on disk before it reports the commit
# (synchronous_standby_names = '*', synchronous_commit = on), so a standby
# promoted after the primary dies holds every acknowledged write. Both trust
# connections from 127.0.0.1 (user postgres): test clusters only.
# Runs as root (CI) or as postgres; PG_VERSION picks the version (default: the
# newest installed), SG_PRIMARY_PORT and SG_STANDBY_PORT the ports.
set -euo pipefail

ver=${PG_VERSION:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)}
pport=${SG_PRIMARY_PORT:-5441}
sport=${SG_STANDBY_PORT:-5442}
primary=sgprimary
standby=sgstandby

if [ -z "$ver" ] || ! command -v pg_createcluster >/dev/null 2>&1; then
	echo "pg-standby: Debian's postgresql-common (pg_createcluster) is not installed" >&2
	exit 2
fi

# as_pg runs a command as the postgres user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

psql_at() { # port, SQL
	as_pg psql -X -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc "$2"
}

exists() { [ -d "/etc/postgresql/$ver/$1" ]; }

status() {
	pg_isready -q -h 127.0.0.1 -p "$pport" && pg_isready -q -h 127.0.0.1 -p "$sport" || return 1
	[ "$(psql_at "$pport" 'SELECT pg_is_in_recovery()')" = f ] || return 1
	[ "$(psql_at "$sport" 'SELECT pg_is_in_recovery()')" = t ] || return 1
	[ "$(psql_at "$pport" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'")" = 1 ]
}

# cluster_pids prints the postmaster's process id and its children's.
cluster_pids() {
	local pidfile="/var/lib/postgresql/$ver/$1/postmaster.pid" pid
	[ -f "$pidfile" ] || return 0
	pid=$(head -n1 "$pidfile")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	echo "$pid"
	pgrep -P "$pid" || true
}

down() {
	for c in "$standby" "$primary"; do
		# A frozen cluster must run again to stop.
		for pid in $(cluster_pids "$c"); do
			kill -CONT "$pid" 2>/dev/null || true
		done
		if exists "$c"; then
			pg_dropcluster --stop "$ver" "$c"
		fi
	done
}

wait_ready() { # port
	for _ in $(seq 1 60); do
		pg_isready -q -h 127.0.0.1 -p "$1" && return 0
		sleep 0.5
	done
	echo "pg-standby: PostgreSQL on port $1 did not start" >&2
	return 1
}

up() {
	if status 2>/dev/null; then
		return 0
	fi
	# Anything half made, or left promoted by an earlier failover, goes.
	down
	pg_createcluster "$ver" "$primary" -p "$pport" -- --auth-local=trust --auth-host=trust >/dev/null
	cat >"/etc/postgresql/$ver/$primary/conf.d/safeguard-standby.conf" <<-'EOF'
		listen_addresses = '127.0.0.1'
		wal_level = replica
		max_wal_senders = 5
		wal_keep_size = '64MB'
		synchronous_commit = on
		synchronous_standby_names = '*'
	EOF
	echo "host replication all 127.0.0.1/32 trust" >>"/etc/postgresql/$ver/$primary/pg_hba.conf"
	pg_ctlcluster --skip-systemctl-redirect "$ver" "$primary" start
	wait_ready "$pport"

	# The standby's own configuration has no synchronous standby: once
	# promoted it runs alone, and a primary waiting for a standby that does
	# not exist would block every write.
	pg_createcluster "$ver" "$standby" -p "$sport" -- --auth-local=trust --auth-host=trust >/dev/null
	cat >"/etc/postgresql/$ver/$standby/conf.d/safeguard-standby.conf" <<-'EOF'
		listen_addresses = '127.0.0.1'
		hot_standby = on
	EOF
	echo "host replication all 127.0.0.1/32 trust" >>"/etc/postgresql/$ver/$standby/pg_hba.conf"
	data="/var/lib/postgresql/$ver/$standby"
	rm -rf "${data:?}"/*
	# -R writes standby.signal and primary_conninfo; application_name names
	# the standby in pg_stat_replication.
	as_pg pg_basebackup -h 127.0.0.1 -p "$pport" -U postgres -D "$data" -R -X stream \
		-d "application_name=$standby"
	pg_ctlcluster --skip-systemctl-redirect "$ver" "$standby" start
	wait_ready "$sport"
	for _ in $(seq 1 60); do
		status && return 0
		sleep 0.5
	done
	echo "pg-standby: the standby does not stream synchronously from the primary" >&2
	return 1
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
kill-primary) pg_ctlcluster --skip-systemctl-redirect "$ver" "$primary" stop -m immediate ;;
freeze-primary) kill -STOP $(cluster_pids "$primary") ;;
promote) pg_ctlcluster --skip-systemctl-redirect "$ver" "$standby" promote ;;
*)
	echo "usage: $0 up|down|status|kill-primary|freeze-primary|promote" >&2
	exit 2
	;;
esac
