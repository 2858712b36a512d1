package state

import (
	"context"
	"time"
)

// JournalMode returns the journal mode of a SQLite store.
func JournalMode(ctx context.Context, s Store) (string, error) { return s.(*sqlStore).journalMode(ctx) }

// AddMigrationRow records migration version v as applied, as a newer driftwatch would.
func AddMigrationRow(ctx context.Context, s Store, v int) error {
	ss := s.(*sqlStore)
	_, err := ss.db.ExecContext(ctx, ss.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)`), v, ss.t(time.Now()))
	return err
}
