package sinks

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/sql.yaml
var sqlExample string

// SQLConfig configures the sql sink: metric history in SQLite or PostgreSQL.
type SQLConfig struct {
	Driver string `yaml:"driver"` // sqlite (default) or postgres
	// Path (sqlite) is the database file, relative to the config file's folder; default
	// driftwatch.db, the state store's default file (the tables do not collide).
	Path string `yaml:"path"`
	// DSNEnv (postgres) names the environment variable with the connection string (it
	// usually holds a password, so it never sits in the config).
	DSNEnv string `yaml:"dsn_env"`
	// TablePrefix prefixes the two tables, {prefix}runs and {prefix}metrics (default
	// "driftwatch_metric_").
	TablePrefix string `yaml:"table_prefix"`
}

// SQL drivers.
const (
	SQLDriverSQLite   = "sqlite"
	SQLDriverPostgres = "postgres"
)

var tablePrefix = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Validate checks the config without I/O.
func (c *SQLConfig) Validate() error {
	var errs []error
	switch c.Driver {
	case "", SQLDriverSQLite:
		if c.DSNEnv != "" {
			errs = append(errs, errors.New("dsn_env: only for driver postgres"))
		}
		if strings.ContainsAny(c.Path, "?#") {
			errs = append(errs, errors.New("path: must not contain ? or #"))
		}
	case SQLDriverPostgres:
		if c.Path != "" {
			errs = append(errs, errors.New("path: only for driver sqlite"))
		}
		if err := checkEnvName("dsn_env", c.DSNEnv, true); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("driver: %q is not valid (valid: sqlite, postgres)", c.Driver))
	}
	if c.TablePrefix != "" && !tablePrefix.MatchString(c.TablePrefix) {
		errs = append(errs, fmt.Errorf("table_prefix: %q is not valid (lowercase letters, digits, _)", c.TablePrefix))
	}
	return errors.Join(errs...)
}

var sqlFactory = Factory{
	Type:    "sql",
	Summary: "records metric history (a row per run, a row per run × column × method) in SQLite or PostgreSQL",
	Example: sqlExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg SQLConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewSQL(cfg, deps.BaseDir)
	},
}

// SQL writes metric history. A write replaces the rows of its run id in one
// transaction: rewriting a run changes nothing, and a failed write leaves nothing.
type SQL struct {
	cfg      SQLConfig
	driver   string // database/sql driver name
	dsn      string
	runs     string // table names
	metrics  string
	postgres bool

	mu    sync.Mutex
	db    *sql.DB
	ready bool // tables created
}

var _ pipeline.Sink = (*SQL)(nil)

// NewSQL validates cfg and returns the sink; it does no I/O (the database is opened
// and its tables created on the first Write).
func NewSQL(cfg SQLConfig, baseDir string) (*SQL, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	prefix := cfg.TablePrefix
	if prefix == "" {
		prefix = "driftwatch_metric_"
	}
	s := &SQL{cfg: cfg, runs: prefix + "runs", metrics: prefix + "metrics"}
	if cfg.Driver == SQLDriverPostgres {
		s.driver, s.postgres = "pgx", true
		return s, nil
	}
	p := cfg.Path
	if p == "" {
		p = "driftwatch.db"
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Set("_txlock", "immediate")
	s.driver, s.dsn, s.cfg.Path = "sqlite", p+"?"+q.Encode(), p
	return s, nil
}

// open opens the database and creates the tables once.
func (s *SQL) open(ctx context.Context) (*sql.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		dsn := s.dsn
		if s.postgres {
			var err error
			if dsn, err = envSecret("dsn_env", s.cfg.DSNEnv); err != nil {
				return nil, Permanent(err)
			}
		} else if err := os.MkdirAll(filepath.Dir(s.cfg.Path), 0o755); err != nil {
			return nil, err
		}
		db, err := sql.Open(s.driver, dsn)
		if err != nil {
			return nil, err
		}
		s.db = db
	}
	if !s.ready {
		for _, st := range s.schema() {
			if _, err := s.db.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("create tables: %w", err)
			}
		}
		s.ready = true
	}
	return s.db, nil
}

func (s *SQL) schema() []string {
	ts, real, boolean := "TEXT", "REAL", "INTEGER"
	if s.postgres {
		ts, real, boolean = "TIMESTAMPTZ", "DOUBLE PRECISION", "BOOLEAN"
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + s.runs + ` (
			run_id          TEXT PRIMARY KEY,
			job             TEXT NOT NULL,
			logical_time    ` + ts + `,
			preset          TEXT NOT NULL,
			dataset_drifted ` + boolean + ` NOT NULL,
			drift_share     ` + real + `,
			drift_threshold ` + real + `,
			drifted_columns INTEGER NOT NULL,
			columns         INTEGER NOT NULL,
			reference_rows  BIGINT NOT NULL,
			current_rows    BIGINT NOT NULL,
			findings        INTEGER NOT NULL,
			error_findings  INTEGER NOT NULL,
			triggers_fired  INTEGER NOT NULL,
			duration_s      ` + real + `
		)`,
		`CREATE INDEX IF NOT EXISTS ` + s.runs + `_job_time ON ` + s.runs + ` (job, logical_time)`,
		`CREATE TABLE IF NOT EXISTS ` + s.metrics + ` (
			run_id       TEXT NOT NULL,
			job          TEXT NOT NULL,
			logical_time ` + ts + `,
			column_name  TEXT NOT NULL,
			kind         TEXT NOT NULL,
			role         TEXT NOT NULL,
			method       TEXT NOT NULL,
			statistic    ` + real + `,
			p_value      ` + real + `,
			threshold    ` + real + `,
			drifted      ` + boolean + ` NOT NULL,
			deciding     ` + boolean + ` NOT NULL,
			PRIMARY KEY (run_id, column_name, method)
		)`,
		`CREATE INDEX IF NOT EXISTS ` + s.metrics + `_job_column ON ` + s.metrics + ` (job, column_name, logical_time)`,
	}
}

// q rewrites ? placeholders to $n for PostgreSQL.
func (s *SQL) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *SQL) ts(t *time.Time) any {
	if t == nil {
		return nil
	}
	if s.postgres {
		return t.UTC()
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func (s *SQL) b(v bool) any {
	if s.postgres {
		return v
	}
	if v {
		return 1
	}
	return 0
}

func num(n pipeline.Num) any {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

// Write replaces the rows of r.RunID in one transaction.
func (s *SQL) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := s.open(ctx)
	if err != nil {
		return fmt.Errorf("sql: open %s: %w", s.describe(), err)
	}
	if err := s.write(ctx, db, r); err != nil {
		return fmt.Errorf("sql: write run %s to %s: %w", r.RunID, s.describe(), err)
	}
	return nil
}

func (s *SQL) write(ctx context.Context, db *sql.DB, r *pipeline.Report) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range []string{s.metrics, s.runs} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE run_id = ?`), r.RunID); err != nil {
			return err
		}
	}
	sum := pipeline.Summarize(r, 0)
	var dur any
	if r.DurationS != nil {
		dur = num(*r.DurationS)
	}
	d := r.DatasetDrift
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+s.runs+` (run_id, job, logical_time, preset, dataset_drifted,
		drift_share, drift_threshold, drifted_columns, columns, reference_rows, current_rows, findings, error_findings,
		triggers_fired, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.RunID, r.Job, s.ts(r.LogicalTime), r.Preset, s.b(d.Drifted), num(d.Share), num(d.Threshold), d.DriftedColumns,
		d.Columns, r.Reference.Rows, r.Current.Rows, len(r.Quality), sum.Errors, len(sum.Triggers), dur)
	if err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO `+s.metrics+` (run_id, job, logical_time, column_name, kind, role,
		method, statistic, p_value, threshold, drifted, deciding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range r.Columns {
		for _, t := range c.Tests {
			if _, err := st.ExecContext(ctx, r.RunID, r.Job, s.ts(r.LogicalTime), c.Name, c.Kind.String(), c.Role.String(),
				t.Method, num(t.Statistic), num(t.PValue), num(t.Threshold), s.b(t.Drifted), s.b(t.Method == c.Method)); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// CheckEnv reports whether the DSN's variable is set.
func (s *SQL) CheckEnv() error {
	if err := checkEnv("dsn_env", s.cfg.DSNEnv); err != nil {
		return fmt.Errorf("sql: %w", err)
	}
	return nil
}

func (s *SQL) describe() string {
	if s.postgres {
		return "postgres ($" + s.cfg.DSNEnv + ")"
	}
	return "sqlite " + s.cfg.Path
}

// Close closes the database; it is idempotent.
func (s *SQL) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db, s.ready = nil, false
	return err
}
