package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the backends: placeholders, column types, time
// encoding and the migration lock.
type dialect struct {
	name string
	// dollar: placeholders are $1, $2, … (PostgreSQL) instead of ? (SQLite).
	dollar bool
	// timeArg encodes a non-zero time as a query argument.
	timeArg func(time.Time) any
	// lockMigrations runs first in the migration transaction ("" for none).
	lockMigrations string
	// bootstrap creates the migrations table.
	bootstrap string
}

// sqliteTime is how SQLite stores times: fixed-width UTC text with microseconds, so
// that text order is time order (lease and cursor comparisons happen in SQL).
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// precision is what both backends keep of a time (PostgreSQL timestamptz: microseconds).
const precision = time.Microsecond

type sqlStore struct {
	db *sql.DB
	d  *dialect
}

var _ Store = (*sqlStore)(nil)

// q rewrites ? placeholders for the dialect.
func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// t encodes a time argument; the zero time is NULL.
func (s *sqlStore) t(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(t.UTC().Truncate(precision))
}

// dbTime scans a time column of either backend: NULL is the zero time.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		d.t = time.Time{}
	case time.Time:
		d.t = v.UTC()
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported type %T", src)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	t, err := time.Parse(sqliteTime, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("scan time: %w", err)
		}
	}
	d.t = t.UTC()
	return nil
}

const runColumns = `job, logical_time, run_id, origin, status, window_start, window_end, started_at,
	finished_at, rows_read, summary, report_path, error, owner, lease_expires, attempts`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var at, ws, we, st, fin, exp dbTime
	var summary sql.NullString
	err := sc.Scan(&r.Job, &at, &r.RunID, &r.Origin, &r.Status, &ws, &we, &st, &fin, &r.RowsRead,
		&summary, &r.ReportPath, &r.Error, &r.Owner, &exp, &r.Attempts)
	if err != nil {
		return Run{}, err
	}
	r.LogicalTime, r.WindowStart, r.WindowEnd, r.Started, r.Finished, r.LeaseExpires = at.t, ws.t, we.t, st.t, fin.t, exp.t
	if summary.Valid && summary.String != "" {
		r.Summary = []byte(summary.String)
	}
	return r, nil
}

// claimSQL inserts the running row or takes an existing one over; the WHERE clause
// of the update decides which rows may be taken (see the package doc).
const claimSQL = `INSERT INTO runs (` + runColumns + `)
VALUES (?, ?, ?, ?, 'running', ?, ?, ?, NULL, 0, NULL, '', '', ?, ?, 1)
ON CONFLICT (job, logical_time) DO UPDATE SET
	run_id = excluded.run_id, origin = excluded.origin, status = 'running',
	window_start = excluded.window_start, window_end = excluded.window_end,
	started_at = excluded.started_at, finished_at = NULL, rows_read = 0, summary = NULL,
	report_path = '', error = '', owner = excluded.owner, lease_expires = excluded.lease_expires,
	attempts = runs.attempts + 1
WHERE runs.status = 'canceled' OR (runs.status = 'running' AND runs.lease_expires <= ?)`

const claimRerunSQL = claimSQL + ` OR runs.status IN ('ok', 'drift', 'failed')`

func (s *sqlStore) Claim(ctx context.Context, c Claim) (bool, Run, error) {
	if c.Job == "" || c.LogicalTime.IsZero() || c.Owner == "" || c.TTL <= 0 || c.Now.IsZero() {
		return false, Run{}, errors.New("claim: job, logical time, owner, ttl and now are required")
	}
	query := claimSQL
	if c.Mode == ClaimRerun {
		query = claimRerunSQL
	}
	res, err := s.db.ExecContext(ctx, s.q(query), c.Job, s.t(c.LogicalTime), c.RunID, c.Origin,
		s.t(c.WindowStart), s.t(c.WindowEnd), s.t(c.Now), c.Owner, s.t(c.Now.Add(c.TTL)), s.t(c.Now))
	if err != nil {
		return false, Run{}, fmt.Errorf("claim %s at %s: %w", c.Job, fmtTime(c.LogicalTime), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, Run{}, fmt.Errorf("claim %s at %s: %w", c.Job, fmtTime(c.LogicalTime), err)
	}
	if n == 1 {
		return true, Run{}, nil
	}
	holder, _, err := s.Get(ctx, c.Job, c.LogicalTime)
	if err != nil {
		return false, Run{}, err
	}
	return false, holder, nil
}

func (s *sqlStore) Renew(ctx context.Context, job string, at time.Time, owner string, until time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET lease_expires = ?
		WHERE job = ? AND logical_time = ? AND owner = ? AND status = 'running'`),
		s.t(until), job, s.t(at), owner)
	return affectedOne(res, err, "renew lease of", job, at)
}

func (s *sqlStore) Finish(ctx context.Context, r Run) error { return s.finish(ctx, s.db, r) }

// execer is a database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// finish is Finish on db or inside a transaction (FinishWithTriggers, triggers.go).
func (s *sqlStore) finish(ctx context.Context, db execer, r Run) error {
	var summary any
	if len(r.Summary) > 0 {
		summary = string(r.Summary)
	}
	res, err := db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, finished_at = ?, rows_read = ?,
		summary = ?, report_path = ?, error = ?, lease_expires = NULL
		WHERE job = ? AND logical_time = ? AND owner = ? AND status = 'running'`),
		r.Status, s.t(r.Finished), r.RowsRead, summary, r.ReportPath, r.Error,
		r.Job, s.t(r.LogicalTime), r.Owner)
	return affectedOne(res, err, "finish run of", r.Job, r.LogicalTime)
}

func affectedOne(res sql.Result, err error, op, job string, at time.Time) error {
	if err != nil {
		return fmt.Errorf("%s %s at %s: %w", op, job, fmtTime(at), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s at %s: %w", op, job, fmtTime(at), err)
	}
	if n != 1 {
		return fmt.Errorf("%s %s at %s: %w", op, job, fmtTime(at), ErrLeaseLost)
	}
	return nil
}

func (s *sqlStore) Get(ctx context.Context, job string, at time.Time) (Run, bool, error) {
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE job = ? AND logical_time = ?`), job, s.t(at))
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, fmt.Errorf("read run %s at %s: %w", job, fmtTime(at), err)
	}
	return r, true, nil
}

func (s *sqlStore) Runs(ctx context.Context, q Query) ([]Run, error) {
	query := `SELECT ` + runColumns + ` FROM runs`
	var args []any
	if q.Job != "" {
		query += ` WHERE job = ?`
		args = append(args, q.Job)
	}
	query += ` ORDER BY logical_time DESC, job`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Cursor(ctx context.Context, job string) (time.Time, error) {
	var t dbTime
	err := s.db.QueryRowContext(ctx, s.q(`SELECT last_completed FROM job_cursors WHERE job = ?`), job).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read cursor of %s: %w", job, err)
	}
	return t.t, nil
}

func (s *sqlStore) Advance(ctx context.Context, job string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO job_cursors (job, last_completed, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (job) DO UPDATE SET last_completed = excluded.last_completed, updated_at = excluded.updated_at
		WHERE job_cursors.last_completed < excluded.last_completed`),
		job, s.t(at), s.t(time.Now()))
	if err != nil {
		return fmt.Errorf("advance cursor of %s to %s: %w", job, fmtTime(at), err)
	}
	return nil
}

func (s *sqlStore) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func (s *sqlStore) Close() error { return s.db.Close() }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
