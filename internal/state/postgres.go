package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// pgMigrationLock is the key of the advisory lock that serialises migrations
// (an arbitrary constant: "drftwtch" in ASCII).
const pgMigrationLock = 0x6472667477746368

var postgresDialect = &dialect{
	name:           DriverPostgres,
	dollar:         true,
	timeArg:        func(t time.Time) any { return t },
	lockMigrations: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, pgMigrationLock),
	bootstrap: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL
	)`,
}

// OpenPostgres connects to PostgreSQL with dsn (a postgres:// URL or key=value pairs,
// as libpq takes them; PG* environment variables fill in what it omits) and migrates
// the database. The tables live in the connection's search_path.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	if dsn == "" {
		return nil, errors.New("open postgres state: dsn is required")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres state: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := openSQL(ctx, db, postgresDialect)
	if err != nil {
		// pgx errors may quote the DSN's host and user, never its password.
		return nil, fmt.Errorf("open postgres state: %w", err)
	}
	return s, nil
}
