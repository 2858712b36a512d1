// Package sourcestest checks that a pipeline.Dataset and the Source it opens keep the
// contract of package pipeline. Every source type runs it from its tests.
package sourcestest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Run opens ds for window w and checks: Open honours a cancelled context; the schema
// and row count are the same on a second Open; every field reads back with its name
// and kind, codes inside the dictionary, and as many rows as Rows() says, the same on
// a second read and when all fields are read concurrently; a missing column gives an
// error wrapping pipeline.ErrNoColumn; a cancelled context gives the context's error;
// the callback's error is returned; Close is idempotent and a closed source errors
// rather than panics.
func Run(t *testing.T, ds pipeline.Dataset, w pipeline.Window) {
	t.Helper()
	ctx := t.Context()

	t.Run("open_cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		src, err := ds.Open(cctx, w)
		if err == nil {
			src.Close()
			t.Fatalf("Open(cancelled ctx) = nil error, want context.Canceled")
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Open(cancelled ctx) = %v, want context.Canceled", err)
		}
	})

	src, err := ds.Open(ctx, w)
	if err != nil {
		t.Fatalf("Open(%s) = %v", ds, err)
	}
	defer src.Close()
	schema := src.Schema()
	if len(schema.Fields) == 0 {
		t.Fatalf("%s: schema has no fields", ds)
	}

	t.Run("schema_stable", func(t *testing.T) {
		src2, err := ds.Open(ctx, w)
		if err != nil {
			t.Fatalf("second Open = %v", err)
		}
		defer src2.Close()
		if got := src2.Schema(); !reflect.DeepEqual(got, schema) {
			t.Errorf("second Open schema = %+v, want %+v", got, schema)
		}
		if got, want := src2.Rows(), src.Rows(); got != want {
			t.Errorf("second Open Rows() = %d, want %d", got, want)
		}
	})

	first := make(map[string]digest)
	t.Run("read_every_field", func(t *testing.T) {
		for _, f := range schema.Fields {
			d, err := read(ctx, src, f)
			if err != nil {
				t.Errorf("ReadColumn(%q) = %v", f.Name, err)
				continue
			}
			if d.rows != src.Rows() {
				t.Errorf("ReadColumn(%q) delivered %d rows, Rows() = %d", f.Name, d.rows, src.Rows())
			}
			if d.bad != "" {
				t.Errorf("ReadColumn(%q): %s", f.Name, d.bad)
			}
			again, err := read(ctx, src, f)
			if err != nil || again != d {
				t.Errorf("ReadColumn(%q) a second time = %+v, %v, want %+v", f.Name, again, err, d)
			}
			first[f.Name] = d
		}
	})

	t.Run("concurrent_reads", func(t *testing.T) {
		var wg sync.WaitGroup
		got := make([]digest, len(schema.Fields))
		errs := make([]error, len(schema.Fields))
		for i, f := range schema.Fields {
			wg.Go(func() { got[i], errs[i] = read(ctx, src, f) })
		}
		wg.Wait()
		for i, f := range schema.Fields {
			if errs[i] != nil || got[i] != first[f.Name] {
				t.Errorf("concurrent ReadColumn(%q) = %+v, %v, want %+v", f.Name, got[i], errs[i], first[f.Name])
			}
		}
	})

	t.Run("missing_column", func(t *testing.T) {
		err := src.ReadColumn(ctx, "\x00no such column", func(pipeline.Column) error { return nil })
		if !errors.Is(err, pipeline.ErrNoColumn) {
			t.Errorf("ReadColumn(missing) = %v, want an error wrapping pipeline.ErrNoColumn", err)
		}
	})

	t.Run("cancelled_read", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := src.ReadColumn(cctx, schema.Fields[0].Name, func(pipeline.Column) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ReadColumn(cancelled ctx) = %v, want context.Canceled", err)
		}
	})

	if src.Rows() > 0 {
		t.Run("callback_error", func(t *testing.T) {
			stop := errors.New("stop")
			err := src.ReadColumn(ctx, schema.Fields[0].Name, func(pipeline.Column) error { return stop })
			if !errors.Is(err, stop) {
				t.Errorf("ReadColumn(fn returning stop) = %v, want stop", err)
			}
		})
	}

	t.Run("close_idempotent", func(t *testing.T) {
		s, err := ds.Open(ctx, w)
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		err = s.ReadColumn(ctx, schema.Fields[0].Name, func(pipeline.Column) error { return nil })
		if err == nil {
			t.Errorf("ReadColumn after Close = nil, want an error")
		}
	})
}

// digest summarises a column read: rows, missing values, and an order-sensitive hash
// of the values (strings for categorical columns, bits for valued ones).
type digest struct {
	rows, missing int64
	hash          uint64
	bad           string
}

func read(ctx context.Context, src pipeline.Source, f pipeline.Field) (digest, error) {
	var d digest
	h := uint64(14695981039346656037)
	mix := func(x uint64) {
		for range 8 {
			h ^= x & 0xff
			h *= 1099511628211
			x >>= 8
		}
	}
	err := src.ReadColumn(ctx, f.Name, func(c pipeline.Column) error {
		if c.Name != f.Name || c.Kind != f.Kind {
			d.bad = "chunk " + c.Name + "/" + c.Kind.String() + ", want " + f.Name + "/" + f.Kind.String()
		}
		if c.Len() == 0 {
			d.bad = "empty chunk"
		}
		d.rows += int64(c.Len())
		if f.Kind.Valued() {
			if c.Codes != nil {
				d.bad = "valued column with codes"
			}
			for _, v := range c.Float64 {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					d.missing++
					mix(0x7ff8000000000001)
					continue
				}
				mix(math.Float64bits(v))
			}
			return nil
		}
		if c.Float64 != nil {
			d.bad = "categorical column with Float64"
		}
		for _, code := range c.Codes {
			switch {
			case code == -1:
				d.missing++
				mix(1 << 63)
			case code < -1 || int(code) >= len(c.Dict):
				d.bad = "code outside the dictionary"
			default:
				for _, b := range []byte(c.Dict[code]) {
					mix(uint64(b))
				}
				mix(uint64(len(c.Dict[code])))
			}
		}
		return nil
	})
	return d, err
}
