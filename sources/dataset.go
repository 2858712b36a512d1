package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// defaultBatchRows bounds the rows of one delivered chunk where the file format lets
// the reader choose (Parquet delivers at page boundaries once this many rows are
// buffered; Arrow delivers a chunk per record batch).
const defaultBatchRows = 64 << 10

// dataset is a configured set of Parquet and/or Arrow IPC files. It does no I/O until Open.
type dataset struct {
	typ       string // registry type, for String
	path      string // as configured
	baseDir   string
	timestamp string
	format    fileFormat
	part      partitioning // hive partition pruning (partition.go)
	log       *slog.Logger
	batchRows int
}

var _ pipeline.Dataset = (*dataset)(nil)

func newDataset(typ, path, timestamp string, f fileFormat, deps Deps) *dataset {
	return &dataset{
		typ:       typ,
		path:      path,
		baseDir:   deps.BaseDir,
		timestamp: timestamp,
		format:    f,
		part:      partitioning{mode: PartitionsAuto, loc: time.UTC},
		log:       deps.logger().With("source", typ),
		batchRows: defaultBatchRows,
	}
}

func (d *dataset) String() string { return d.typ + " " + d.path }

func (d *dataset) resolved() string {
	if d.baseDir == "" || filepath.IsAbs(d.path) {
		return d.path
	}
	return filepath.Join(d.baseDir, d.path)
}

// fileReader is one opened file of a dataset, Parquet or Arrow. Its rows come in units
// (Parquet row groups, Arrow record batches) that window masks refer to.
type fileReader interface {
	name() string
	// columns lists the file's readable flat columns, in file order.
	columns() []fileColumn
	// skipped lists findings for the columns the reader cannot map to a kind.
	skipped() []pipeline.Finding
	units() int
	unitRows(u int) int64
	// bounds returns the range of column col in unit u as the column's float64 values
	// (Unix seconds for datetimes) from file statistics, and whether the unit may hold
	// nulls; ok is false when the file has no statistics.
	bounds(col, u int) (lo, hi float64, mayHaveNulls, ok bool)
	// scan decodes column col unit by unit, in order, skipping units where skip(u) is
	// true, and calls emit with chunks of consecutive rows of unit u that start at row
	// off of the unit. It checks ctx between units.
	scan(ctx context.Context, col int, skip func(u int) bool, cs *colState, emit func(u, off int) error) error
	close() error
}

// fileColumn is a flat column of one file.
type fileColumn struct {
	name string
	kind pipeline.Kind
	typ  string
}

// unitMask is the window filter of one unit: skip (no row in the window, never read),
// all rows (keep == nil), or the rows whose keep flag is set.
type unitMask struct {
	skip bool
	keep []bool
	n    int64 // rows kept
}

// mergedColumn is a column of the merged schema: its index in each file (-1: absent).
type mergedColumn struct {
	field pipeline.Field
	idx   []int
}

// source is an opened dataset.
type source struct {
	desc      string
	files     []fileReader
	schema    pipeline.Schema
	cols      map[string]*mergedColumn
	masks     [][]unitMask // per file, per unit; nil without window filtering
	rows      int64
	batchRows int

	unitsRead atomic.Int64 // column chunks (row group × column, or record batch × column) decoded
	pruned    int          // partition folders left out by the window (never walked)

	mu     sync.RWMutex // held shared by ReadColumn, exclusively by Close
	closed bool
}

var _ pipeline.Source = (*source)(nil)

// Open lists and opens the files, merges their schemas and, when the window is not
// zero and a timestamp column is configured, computes the window masks.
func (d *dataset) Open(ctx context.Context, w pipeline.Window) (pipeline.Source, error) {
	path := d.resolved()
	names, pruned, err := d.listing(path, w)
	if err != nil {
		return nil, &pipeline.DataError{Source: d.String(), Err: err}
	}
	s := &source{desc: d.String(), batchRows: d.batchRows, pruned: len(pruned)}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			s.Close()
			return nil, err
		}
		fr, err := openFile(name, d.format)
		if err != nil {
			s.Close()
			return nil, &pipeline.DataError{Source: name, Err: err}
		}
		s.files = append(s.files, fr)
	}
	s.schema, s.cols = mergeSchemas(s.files)
	if len(names) == 0 {
		s.schema.Findings = append(s.schema.Findings, pipeline.Finding{
			Type:     "no_partition_in_window",
			Severity: pipeline.SeverityWarning,
			Message:  fmt.Sprintf("no partition overlaps the window [%s, %s): %d partition folders skipped", fmtTime(w.Start), fmtTime(w.End), len(pruned)),
			Source:   d.path,
		})
	}
	if !w.IsZero() && len(names) > 0 {
		if d.timestamp == "" {
			s.schema.Findings = append(s.schema.Findings, pipeline.Finding{
				Type:     "window_not_applied",
				Severity: pipeline.SeverityWarning,
				Message:  fmt.Sprintf("no timestamp column configured: every row is read, whatever the window [%s, %s)", fmtTime(w.Start), fmtTime(w.End)),
				Source:   d.path,
			})
		} else if err := s.buildMasks(ctx, d.timestamp, w); err != nil {
			s.Close()
			return nil, err
		}
	}
	for f, fr := range s.files {
		for u := range fr.units() {
			if s.masks != nil {
				s.rows += s.masks[f][u].n
			} else {
				s.rows += fr.unitRows(u)
			}
		}
	}
	d.log.Debug("dataset opened", "path", path, "files", len(s.files), "partitions_pruned", len(pruned), "columns", len(s.schema.Fields), "rows", s.rows)
	return s, nil
}

func openFile(name string, f fileFormat) (fileReader, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	kind, err := detect(fh, name, f)
	if err != nil {
		fh.Close()
		return nil, err
	}
	if kind == formatParquet {
		return openParquet(fh, name, st.Size())
	}
	return openArrow(fh, name, st.Size(), kind)
}

func (s *source) Schema() pipeline.Schema { return s.schema }

func (s *source) Rows() int64 { return s.rows }

// Close closes every file. It is idempotent and waits for running ReadColumn calls.
func (s *source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, f := range s.files {
		if err := f.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", f.name(), err))
		}
	}
	return errors.Join(errs...)
}

var errClosed = errors.New("source is closed")

// ReadColumn implements pipeline.Source.
func (s *source) ReadColumn(ctx context.Context, name string, fn func(pipeline.Column) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return &pipeline.DataError{Source: s.desc, Column: name, Err: errClosed}
	}
	mc, ok := s.cols[name]
	if !ok {
		return &pipeline.DataError{Source: s.desc, Column: name, Err: pipeline.ErrNoColumn}
	}
	kind := mc.field.Kind
	cs := newColState(kind, s.batchRows, &s.unitsRead)
	for f, fr := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var masks []unitMask
		if s.masks != nil {
			masks = s.masks[f]
		}
		if mc.idx[f] < 0 {
			if err := s.emitMissing(ctx, fr, masks, cs, name, fn); err != nil {
				return err
			}
			continue
		}
		var skip func(int) bool
		if masks != nil {
			skip = func(u int) bool { return masks[u].skip || masks[u].n == 0 }
		}
		err := fr.scan(ctx, mc.idx[f], skip, cs, func(u, off int) error {
			if masks != nil && masks[u].keep != nil {
				cs.filter(masks[u].keep[off:])
			}
			if cs.len() == 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(cs.column(name)); err != nil {
				return &callbackError{err}
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return ctx.Err()
			}
			var cerr *callbackError
			if errors.As(err, &cerr) {
				return cerr.err
			}
			return &pipeline.DataError{Source: fr.name(), Column: name, Err: err}
		}
	}
	return nil
}

// callbackError marks an error returned by the ReadColumn callback, passed through as is.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// emitMissing delivers all-missing chunks for the rows of a file that lacks the column.
func (s *source) emitMissing(ctx context.Context, fr fileReader, masks []unitMask, cs *colState, name string, fn func(pipeline.Column) error) error {
	for u := range fr.units() {
		n := fr.unitRows(u)
		if masks != nil {
			n = masks[u].n
		}
		for n > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(n, int64(s.batchRows))
			cs.reset()
			cs.appendMissing(int(k))
			if err := fn(cs.column(name)); err != nil {
				return err
			}
			n -= k
		}
	}
	return nil
}

// buildMasks reads the timestamp column of every file unit by unit (skipping units
// whose statistics lie outside w) and records which rows fall in w.
func (s *source) buildMasks(ctx context.Context, col string, w pipeline.Window) error {
	mc, ok := s.cols[col]
	if !ok {
		return &pipeline.DataError{Source: s.desc, Column: col, Err: fmt.Errorf("timestamp column: %w", pipeline.ErrNoColumn)}
	}
	if mc.field.Kind != pipeline.KindDatetime {
		return &pipeline.DataError{Source: s.desc, Column: col, Err: fmt.Errorf("timestamp column has type %s (kind %s), want a date or timestamp", mc.field.Type, mc.field.Kind)}
	}
	lo, hi := windowSeconds(w)
	in := func(t float64) bool { return t >= lo && t < hi } // false for NaN
	s.masks = make([][]unitMask, len(s.files))
	cs := newColState(pipeline.KindDatetime, s.batchRows, &s.unitsRead)
	for f, fr := range s.files {
		masks := make([]unitMask, fr.units())
		s.masks[f] = masks
		idx := mc.idx[f]
		if idx < 0 { // no timestamps: no row is in the window
			for u := range masks {
				masks[u].skip = true
			}
			continue
		}
		read := make([]bool, len(masks))
		for u := range masks {
			bmin, bmax, nulls, ok := fr.bounds(idx, u)
			switch {
			case ok && (bmax < lo || bmin >= hi):
				masks[u].skip = true
			case ok && !nulls && bmin >= lo && bmax < hi:
				masks[u].n = fr.unitRows(u)
			default:
				read[u] = true
				masks[u].keep = make([]bool, fr.unitRows(u))
			}
		}
		err := fr.scan(ctx, idx, func(u int) bool { return !read[u] }, cs, func(u, off int) error {
			keep := masks[u].keep
			for i, t := range cs.f64 {
				if in(t) {
					keep[off+i] = true
					masks[u].n++
				}
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return ctx.Err()
			}
			return &pipeline.DataError{Source: fr.name(), Column: col, Err: err}
		}
		for u := range masks {
			switch {
			case read[u] && masks[u].n == 0:
				masks[u] = unitMask{skip: true}
			case read[u] && masks[u].n == int64(len(masks[u].keep)):
				masks[u].keep = nil
			}
		}
	}
	return nil
}
