package sinks_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/state/statetest"
	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sinks/sinkstest"
)

// TestSQL writes metric history to SQLite and to a real PostgreSQL server (the one
// .ci/run starts; skipped locally without DRIFTWATCH_TEST_POSTGRES_DSN) and reads the
// rows back.
func TestSQL(t *testing.T) {
	for _, b := range statetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			sc := b.Config(t)
			var cfg sinks.SQLConfig
			var driver, dsn string
			if sc.Driver == state.DriverPostgres {
				t.Setenv("SQL_TEST_DSN", sc.DSN)
				cfg = sinks.SQLConfig{Driver: "postgres", DSNEnv: "SQL_TEST_DSN", TablePrefix: "dw_"}
				driver, dsn = "pgx", sc.DSN
			} else {
				cfg = sinks.SQLConfig{Path: "hist.db", TablePrefix: "dw_"}
				driver, dsn = "sqlite", filepath.Join(filepath.Dir(sc.Path), "hist.db")
			}
			s, err := sinks.NewSQL(cfg, filepath.Dir(sc.Path))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, r := range []int{0, 0, 1} { // day 0 twice (idempotent), then day 1
				if err := s.Write(t.Context(), sinkstest.Report("churn", at0.Add(time.Duration(r)*24*time.Hour))); err != nil {
					t.Fatalf("Write() = %v", err)
				}
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			var runs, metrics int
			db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dw_runs").Scan(&runs)
			db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dw_metrics").Scan(&metrics)
			if runs != 2 || metrics != 8 {
				t.Errorf("rows: %d runs, %d metrics, want 2 and 8 (a rewrite replaces)", runs, metrics)
			}
			var share float64
			var drifted, cols, refRows, fired int
			err = db.QueryRowContext(ctx, "SELECT drift_share, CAST(dataset_drifted AS INTEGER), columns, reference_rows, triggers_fired FROM dw_runs WHERE run_id = 'churn-20261127T000000Z'").
				Scan(&share, &drifted, &cols, &refRows, &fired)
			if err != nil || share != 2.0/3 || drifted != 1 || cols != 3 || refRows != 1000 || fired != 1 {
				t.Errorf("run row: share %v drifted %d columns %d reference_rows %d triggers %d (%v)", share, drifted, cols, refRows, fired, err)
			}
			var stat float64
			var p sql.NullFloat64
			var deciding int
			q := "SELECT statistic, p_value, CAST(deciding AS INTEGER) FROM dw_metrics WHERE run_id = 'churn-20261127T000000Z' AND column_name = 'income' AND method = "
			if err := db.QueryRowContext(ctx, q+"'ks'").Scan(&stat, &p, &deciding); err != nil || stat != 0.31 || !p.Valid || p.Float64 != 1e-9 || deciding != 1 {
				t.Errorf("income ks: %v %v %d (%v), want 0.31, 1e-9, deciding", stat, p, deciding, err)
			}
			if err := db.QueryRowContext(ctx, q+"'psi'").Scan(&stat, &p, &deciding); err != nil || stat != 0.42 || p.Valid || deciding != 0 {
				t.Errorf("income psi: %v %v %d (%v), want 0.42, null, not deciding", stat, p, deciding, err)
			}
		})
	}
}
