package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteBusyTimeout is how long a statement waits for another connection's (or
// process's) write lock before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 15 * time.Second

var sqliteDialect = &dialect{
	name:    DriverSQLite,
	timeArg: func(t time.Time) any { return t.Format(sqliteTime) },
	bootstrap: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`,
}

// OpenSQLite opens (creating it and its folder if needed) the SQLite database at path
// in WAL mode, and migrates it. Several processes may share the file on a local disk
// (not a network file system: WAL needs shared memory).
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite state: path is required")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite state %s: the path must not contain ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open sqlite state %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN: no lock upgrade deadlocks
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite state %s: %w", path, err)
	}
	s, err := openSQL(ctx, db, sqliteDialect)
	if err != nil {
		return nil, fmt.Errorf("open sqlite state %s: %w", path, err)
	}
	return s, nil
}

// journalMode returns the database's journal mode (for tests: "wal").
func (s *sqlStore) journalMode(ctx context.Context) (string, error) {
	var m string
	err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&m)
	return m, err
}
