package sinks

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/parquet.yaml
var parquetExample string

// ParquetConfig configures the parquet sink: the metric rows of every run appended to
// a date-partitioned Parquet table, {path}/dt=YYYY-MM-DD/{run_id}.parquet.
type ParquetConfig struct {
	// Path is the table's folder ({job} is replaced), relative to the config file's
	// folder and kept inside Base (default: that folder).
	Path string `yaml:"path" required:"true"`
	Base string `yaml:"base"`
}

// Validate checks the config without I/O.
func (c *ParquetConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: required"))
	}
	for _, m := range placeholder.FindAllString(c.Path, -1) {
		if m != "{job}" {
			errs = append(errs, fmt.Errorf("path: unknown placeholder %s (valid: {job})", m))
		}
	}
	return errors.Join(errs...)
}

var parquetFactory = Factory{
	Type:    "parquet",
	Summary: "appends the metric rows (run × column × method) to a date-partitioned Parquet table (dt=YYYY-MM-DD/run.parquet)",
	Example: parquetExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg ParquetConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewParquet(cfg, deps.BaseDir)
	},
}

// MetricRow is one row of the Parquet metrics table: one method on one column of one
// run, with the run's verdict beside it. Null statistics are NaN or absent results.
type MetricRow struct {
	Job            string    `parquet:"job,dict"`
	RunID          string    `parquet:"run_id,dict"`
	LogicalTime    time.Time `parquet:"logical_time,timestamp(microsecond)"`
	Column         string    `parquet:"column,dict"`
	Kind           string    `parquet:"kind,dict"`
	Role           string    `parquet:"role,dict"`
	Method         string    `parquet:"method,dict"`
	Statistic      *float64  `parquet:"statistic,optional"`
	PValue         *float64  `parquet:"p_value,optional"`
	Threshold      *float64  `parquet:"threshold,optional"`
	Drifted        bool      `parquet:"drifted"`
	Deciding       bool      `parquet:"deciding"`
	DatasetDrifted bool      `parquet:"dataset_drifted"`
	DriftShare     *float64  `parquet:"drift_share,optional"`
}

// Parquet writes one file per run (named by the run id) into the partition of its
// logical date (ad-hoc reports: dt=adhoc): rewriting a run replaces its file, and a file
// appears whole or not at all (atomic rename).
type Parquet struct {
	cfg   ParquetConfig
	files *File // path resolution inside the base folder
}

var _ pipeline.Sink = (*Parquet)(nil)

// NewParquet validates cfg and returns the sink; it does no I/O.
func NewParquet(cfg ParquetConfig, baseDir string) (*Parquet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	p := strings.TrimRight(cfg.Path, "/") + "/dt={logical_date}/{run_id}.parquet"
	return &Parquet{cfg: cfg, files: NewFile(FileConfig{Path: p, Base: cfg.Base}, baseDir)}, nil
}

// Location returns the file that Write writes for r.
func (p *Parquet) Location(r *pipeline.Report) (string, error) {
	loc, err := p.files.location(r)
	if err != nil {
		return "", fmt.Errorf("parquet: %w", err)
	}
	return loc, nil
}

// MetricRows returns the rows of r, in column and test order.
func MetricRows(r *pipeline.Report) []MetricRow {
	opt := func(n pipeline.Num) *float64 {
		f := float64(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return &f
	}
	var lt time.Time
	if r.LogicalTime != nil {
		lt = r.LogicalTime.UTC()
	}
	var rows []MetricRow
	for _, c := range r.Columns {
		for _, t := range c.Tests {
			rows = append(rows, MetricRow{Job: r.Job, RunID: r.RunID, LogicalTime: lt, Column: c.Name, Kind: c.Kind.String(),
				Role: c.Role.String(), Method: t.Method, Statistic: opt(t.Statistic), PValue: opt(t.PValue),
				Threshold: opt(t.Threshold), Drifted: t.Drifted, Deciding: t.Method == c.Method,
				DatasetDrifted: r.DatasetDrift.Drifted, DriftShare: opt(r.DatasetDrift.Share)})
		}
	}
	return rows
}

// Write writes r's metric rows to its file, atomically.
func (p *Parquet) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := p.Location(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[MetricRow](&buf, parquet.Compression(&zstd.Codec{}),
		parquet.KeyValueMetadata("driftwatch.schema", "metrics/1"))
	if _, err := w.Write(MetricRows(r)); err != nil {
		return fmt.Errorf("parquet: encode %s: %w", filepath.Base(path), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("parquet: encode %s: %w", filepath.Base(path), err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// Close does nothing; it is idempotent.
func (p *Parquet) Close() error { return nil }
