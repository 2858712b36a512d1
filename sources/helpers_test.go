package sources

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/pipeline"
)

// yamlDecoder is a strict Decoder over a YAML document, as jobs supplies one.
func yamlDecoder(src string) Decoder {
	return func(into any) error {
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
}

// writeParquet writes rows to path with at most rowsPerGroup rows per row group.
func writeParquet[T any](t testing.TB, path string, rows []T, rowsPerGroup int64, opts ...parquet.WriterOption) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]parquet.WriterOption{parquet.MaxRowsPerRowGroup(rowsPerGroup)}, opts...)
	w := parquet.NewGenericWriter[T](f, opts...)
	for i := 0; i < len(rows); i += int(rowsPerGroup) {
		end := min(len(rows), i+int(rowsPerGroup))
		if _, err := w.Write(rows[i:end]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // one row group per slice
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads a column into one slice of float64 (valued kinds) or strings
// (categorical, "\x00null" for missing), copying out of the callback.
type colData struct {
	kind   pipeline.Kind
	f64    []float64
	strs   []string
	chunks int
}

const nullStr = "\x00null"

func readAll(t testing.TB, src pipeline.Source, name string) colData {
	t.Helper()
	var d colData
	err := src.ReadColumn(context.Background(), name, func(c pipeline.Column) error {
		d.kind = c.Kind
		d.chunks++
		if c.Kind.Valued() {
			d.f64 = append(d.f64, c.Float64...)
			return nil
		}
		for _, code := range c.Codes {
			if code < 0 {
				d.strs = append(d.strs, nullStr)
			} else {
				d.strs = append(d.strs, c.Dict[code])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReadColumn(%q) = %v", name, err)
	}
	return d
}

// sameFloats reports whether a and b hold the same values, NaN matching NaN.
func sameFloats(a, b []float64) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return i, false
		}
	}
	return 0, true
}

func mustOpen(t testing.TB, ds pipeline.Dataset, w pipeline.Window) pipeline.Source {
	t.Helper()
	src, err := ds.Open(context.Background(), w)
	if err != nil {
		t.Fatalf("Open(%s) = %v", ds, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func findings(s pipeline.Schema, typ string) []pipeline.Finding {
	var out []pipeline.Finding
	for _, f := range s.Findings {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}
