// Package state is driftwatch's state store: the run history (one row per job and
// logical time), the lease that keeps two processes from running the same (job,
// logical time) at once, and the scheduler's cursor (the last completed logical time of
// each job). One interface, two backends over database/sql: an embedded SQLite file
// (modernc.org/sqlite, pure Go, WAL mode) and PostgreSQL (github.com/jackc/pgx/v5).
// Open applies the schema migrations the store has not seen yet.
//
// # Leases
//
// A run's history row is its lease. Claim inserts the row with status "running", an
// owner and an expiry, or takes over an existing row, in one INSERT … ON CONFLICT DO
// UPDATE … WHERE statement, so that of two concurrent claims exactly one succeeds:
//
//   - a row that is running and whose lease has not expired is never taken over;
//   - a row that was canceled (SIGTERM) or whose lease expired (a crashed process) is;
//   - a finished row (ok, drift, failed) is taken over only by ClaimRerun (backfill and
//     run re-run a logical time on purpose), never by ClaimOnce (the scheduler).
//
// The owner renews the lease while the run lasts and finishes the row; both fail with
// ErrLeaseLost when another process has taken the row over in between.
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run statuses. A run is "running" from its claim to its finish.
const (
	StatusRunning  = "running"
	StatusOK       = "ok"       // completed, no dataset drift
	StatusDrift    = "drift"    // completed, dataset drift
	StatusFailed   = "failed"   // ended with an error
	StatusCanceled = "canceled" // stopped by a signal or a lost lease; runs again when claimed
)

// Origins of a run.
const (
	OriginRun      = "run"      // driftwatch run (Airflow, Kubernetes, a person)
	OriginSchedule = "schedule" // the driftwatch schedule daemon
	OriginBackfill = "backfill" // driftwatch backfill
)

// Run is one row of the run history: one run of a job at a logical time. A re-run
// of the same job and logical time replaces it (Attempts counts the claims).
type Run struct {
	Job         string
	LogicalTime time.Time
	RunID       string
	Origin      string
	Status      string
	// WindowStart and WindowEnd are the current window (zero: every row).
	WindowStart, WindowEnd time.Time
	Started                time.Time
	Finished               time.Time // zero while running
	RowsRead               int64     // reference + current rows
	Summary                json.RawMessage
	ReportPath             string
	Error                  string
	Owner                  string    // the process that claimed the run
	LeaseExpires           time.Time // zero once finished
	Attempts               int
}

// Done reports whether the run ended (ok, drift or failed; a canceled run did not).
func (r *Run) Done() bool {
	return r.Status == StatusOK || r.Status == StatusDrift || r.Status == StatusFailed
}

// ClaimMode says whether a claim may replace a finished run.
type ClaimMode uint8

const (
	// ClaimOnce claims a logical time that has not finished yet: no row, a canceled
	// row, or a running row whose lease expired. The scheduler uses it.
	ClaimOnce ClaimMode = iota
	// ClaimRerun also replaces a finished row (ok, drift, failed): run and backfill
	// re-run a logical time on purpose. A live lease still wins.
	ClaimRerun
)

// Claim asks for the lease of one run.
type Claim struct {
	Job         string
	LogicalTime time.Time
	RunID       string
	Origin      string
	// WindowStart and WindowEnd are the current window, recorded in the row.
	WindowStart, WindowEnd time.Time
	Owner                  string
	Now                    time.Time // the claim's wall-clock time: started_at, lease comparisons
	TTL                    time.Duration
	Mode                   ClaimMode
}

// Query selects history rows, newest logical time first.
type Query struct {
	Job   string // empty: every job
	Limit int    // 0: no limit
}

// ErrLeaseLost is returned by Renew and Finish when the caller no longer holds the
// run's lease (it expired and another process claimed the run).
var ErrLeaseLost = errors.New("lease lost")

// Store is the state store. Its methods are safe for concurrent use, and by several
// processes sharing one database.
type Store interface {
	// Claim takes the lease of c.Job at c.LogicalTime (see the package doc). When it
	// does not, it returns false and the row that holds it.
	Claim(ctx context.Context, c Claim) (ok bool, holder Run, err error)
	// Renew extends the caller's lease to until.
	Renew(ctx context.Context, job string, at time.Time, owner string, until time.Time) error
	// Finish records the end of the caller's run: Status, Finished, RowsRead, Summary,
	// ReportPath and Error of r, keyed by r.Job, r.LogicalTime and r.Owner.
	Finish(ctx context.Context, r Run) error
	// Get returns the row of job at logical time at.
	Get(ctx context.Context, job string, at time.Time) (Run, bool, error)
	// Runs returns history rows, newest logical time first.
	Runs(ctx context.Context, q Query) ([]Run, error)
	// Cursor returns the last completed logical time of job (zero: none yet).
	Cursor(ctx context.Context, job string) (time.Time, error)
	// Advance moves the cursor of job to at, unless it is already at or past it.
	Advance(ctx context.Context, job string, at time.Time) error
	// SchemaVersion is the number of the last migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config chooses and locates a store.
type Config struct {
	Driver string // sqlite or postgres
	Path   string // sqlite: the database file
	DSN    string // postgres: a URL or key=value connection string
}

// Open opens the store and applies pending migrations.
func Open(ctx context.Context, c Config) (Store, error) {
	switch c.Driver {
	case DriverSQLite:
		return OpenSQLite(ctx, c.Path)
	case DriverPostgres:
		return OpenPostgres(ctx, c.DSN)
	}
	return nil, fmt.Errorf("open state store: unknown driver %q (valid: sqlite, postgres)", c.Driver)
}
