// Package statetest gives tests state stores on both backends: a SQLite file in a
// temporary folder, and a fresh schema of the PostgreSQL server named by
// DRIFTWATCH_TEST_POSTGRES_DSN (which .ci/run starts). Without that variable the
// PostgreSQL cases skip, except under CI=true, where a missing server is a failure.
package statetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop schemas

	"github.com/driftwatch/driftwatch/internal/state"
)

// PostgresEnv names the environment variable with the DSN of a test server.
const PostgresEnv = "DRIFTWATCH_TEST_POSTGRES_DSN"

// Backend is a way to get a store configuration for a test.
type Backend struct {
	Name string
	// Config returns the configuration of a new, empty store that lives as long as t.
	Config func(t testing.TB) state.Config
}

// Backends returns SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// SQLite returns the configuration of a new SQLite store in t's temporary folder.
func SQLite(t testing.TB) state.Config {
	return state.Config{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "state.db")}
}

// Postgres returns the configuration of a new schema on the test server, dropped when
// t ends. It skips t when no server is configured, or fails it under CI=true.
func Postgres(t testing.TB) state.Config {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI=true: .ci/run must start PostgreSQL", PostgresEnv)
		}
		t.Skipf("%s not set: no PostgreSQL server (.ci/run starts one)", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "dwtest_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create schema on the test server: %v", err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	return state.Config{Driver: state.DriverPostgres, DSN: WithSearchPath(dsn, schema)}
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
