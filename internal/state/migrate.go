package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one schema change, in each backend's SQL (one statement per entry).
type migration struct {
	version  int
	name     string
	sqlite   []string
	postgres []string
}

// migrations are applied in order, each in its own transaction together with its row
// in schema_migrations. Append only: never edit an applied migration. Versions 3 and 4
// (the trigger log and outbox) are in triggers.go.
var migrations = append([]migration{
	{
		version: 1,
		name:    "runs and job cursors",
		sqlite: []string{
			`CREATE TABLE runs (
				job           TEXT NOT NULL,
				logical_time  TEXT NOT NULL,
				run_id        TEXT NOT NULL,
				origin        TEXT NOT NULL,
				status        TEXT NOT NULL,
				window_start  TEXT,
				window_end    TEXT,
				started_at    TEXT NOT NULL,
				finished_at   TEXT,
				rows_read     INTEGER NOT NULL DEFAULT 0,
				summary       TEXT,
				report_path   TEXT NOT NULL DEFAULT '',
				error         TEXT NOT NULL DEFAULT '',
				owner         TEXT NOT NULL DEFAULT '',
				lease_expires TEXT,
				attempts      INTEGER NOT NULL DEFAULT 1,
				PRIMARY KEY (job, logical_time)
			)`,
			`CREATE TABLE job_cursors (
				job            TEXT PRIMARY KEY,
				last_completed TEXT NOT NULL,
				updated_at     TEXT NOT NULL
			)`,
		},
		postgres: []string{
			`CREATE TABLE runs (
				job           TEXT NOT NULL,
				logical_time  TIMESTAMPTZ NOT NULL,
				run_id        TEXT NOT NULL,
				origin        TEXT NOT NULL,
				status        TEXT NOT NULL,
				window_start  TIMESTAMPTZ,
				window_end    TIMESTAMPTZ,
				started_at    TIMESTAMPTZ NOT NULL,
				finished_at   TIMESTAMPTZ,
				rows_read     BIGINT NOT NULL DEFAULT 0,
				summary       JSONB,
				report_path   TEXT NOT NULL DEFAULT '',
				error         TEXT NOT NULL DEFAULT '',
				owner         TEXT NOT NULL DEFAULT '',
				lease_expires TIMESTAMPTZ,
				attempts      INTEGER NOT NULL DEFAULT 1,
				PRIMARY KEY (job, logical_time)
			)`,
			`CREATE TABLE job_cursors (
				job            TEXT PRIMARY KEY,
				last_completed TIMESTAMPTZ NOT NULL,
				updated_at     TIMESTAMPTZ NOT NULL
			)`,
		},
	},
	{
		version:  2,
		name:     "history by job",
		sqlite:   []string{`CREATE INDEX runs_job_time ON runs (job, logical_time DESC)`},
		postgres: []string{`CREATE INDEX runs_job_time ON runs (job, logical_time DESC)`},
	},
}, triggerMigrations...)

// migrate applies the migrations the database lacks. Concurrent callers (two daemons
// starting together) serialise on the dialect's lock: SQLite's write lock (the
// transaction begins IMMEDIATE), PostgreSQL's transaction-level advisory lock.
func (s *sqlStore) migrate(ctx context.Context) error {
	err := s.locked(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.bootstrap)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	for _, m := range migrations {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migrate: %d (%s): %w", m.version, m.name, err)
		}
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > latest {
		return fmt.Errorf("migrate: the store has schema version %d, newer than this driftwatch knows (%d): upgrade driftwatch", v, latest)
	}
	return nil
}

// locked runs fn in a transaction that holds the migration lock, and commits.
func (s *sqlStore) locked(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockMigrations); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// apply runs m unless it was applied already.
func (s *sqlStore) apply(ctx context.Context, m migration) error {
	return s.locked(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		stmts := m.sqlite
		if s.d.dollar {
			stmts = m.postgres
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, s.t(time.Now()))
		return err
	})
}

// openSQL wraps an opened database, checks the connection and migrates it.
func openSQL(ctx context.Context, db *sql.DB, d *dialect) (*sqlStore, error) {
	s := &sqlStore{db: db, d: d}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
