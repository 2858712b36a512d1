# Sourced by .ci/run: starts a throw-away PostgreSQL server from Debian's packages for
# the state store tests (internal/state, jobs) and exports DRIFTWATCH_TEST_POSTGRES_DSN.
# Idempotent and fast: the package is installed only when missing, an already exported
# DSN is kept, and the server (a temporary data folder, 127.0.0.1 only, trust auth) is
# stopped by dw_postgres_stop, which .ci/run calls on exit.

dw_postgres_start() {
	if [ -n "${DRIFTWATCH_TEST_POSTGRES_DSN:-}" ]; then
		echo "postgres: using DRIFTWATCH_TEST_POSTGRES_DSN from the environment"
		return 0
	fi
	local sudo=""
	if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi
	if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
	fi
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	DW_PGDATA=$(mktemp -d "${TMPDIR:-/tmp}/driftwatch-pg.XXXXXX")
	# initdb refuses to run as root: run the server as the postgres user then.
	DW_PGRUN=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$DW_PGDATA"
		DW_PGRUN=(runuser -u postgres --)
	fi
	"${DW_PGRUN[@]}" "$bin/initdb" -D "$DW_PGDATA/data" -A trust -U postgres -E UTF8 >/dev/null
	local port
	for port in 55432 55433 55434 55435 55436 55437 55438 55439; do
		if "${DW_PGRUN[@]}" "$bin/pg_ctl" -D "$DW_PGDATA/data" -l "$DW_PGDATA/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $DW_PGDATA -c fsync=off" start >/dev/null; then
			DW_PGBIN=$bin
			export DRIFTWATCH_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "postgres: $("$bin/postgres" --version) on 127.0.0.1:$port"
			return 0
		fi
	done
	cat "$DW_PGDATA/server.log" >&2
	echo "postgres: could not start a server" >&2
	return 1
}

dw_postgres_stop() {
	if [ -n "${DW_PGBIN:-}" ]; then
		"${DW_PGRUN[@]}" "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA/data" -m fast -w stop >/dev/null 2>&1 || true
		rm -rf "$DW_PGDATA"
		DW_PGBIN=""
	fi
}
