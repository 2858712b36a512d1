package sources

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/driftwatch/driftwatch/pipeline"
)

// benchRow has 25 columns: 20 doubles (3 of them nullable), 3 int64, 2 dictionary strings.
type benchRow struct {
	F00, F01, F02, F03, F04, F05, F06, F07, F08, F09 float64
	F10, F11, F12, F13, F14, F15, F16                float64
	O17, O18, O19                                    *float64 `parquet:",optional"`
	I20, I21, I22                                    int64
	S23                                              string `parquet:",dict"`
	S24                                              string `parquet:",dict"`
}

const benchRows = 2_000_000

// writeBenchFile writes benchRows rows in row groups of 512Ki rows, Snappy-compressed
// (pyarrow's defaults are alike), and returns the path.
func writeBenchFile(b *testing.B) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.parquet")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := parquet.NewGenericWriter[benchRow](f, parquet.MaxRowsPerRowGroup(512<<10), parquet.Compression(&parquet.Snappy))
	cats := []string{"web", "ios", "android", "partner", "batch", "other"}
	buf := make([]benchRow, 64<<10)
	vals := make([]float64, len(buf))
	x := uint64(1)
	for done := 0; done < benchRows; done += len(buf) {
		n := min(len(buf), benchRows-done)
		for i := range n {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			u := float64(x>>11) / (1 << 53)
			r := &buf[i]
			v := math.Log(u + 1e-9)
			r.F00, r.F01, r.F02, r.F03, r.F04 = u, v, u*u, u+1, 2*v
			r.F05, r.F06, r.F07, r.F08, r.F09 = u-0.5, v*3, u/3, float64(i), float64(done+i)
			r.F10, r.F11, r.F12, r.F13, r.F14, r.F15, r.F16 = u*7, v-1, u*u*u, -u, -v, u*100, v/7
			vals[i] = u
			r.O17, r.O18, r.O19 = nil, nil, nil
			if x%10 != 0 {
				r.O17, r.O18, r.O19 = &vals[i], &r.F01, &r.F02
			}
			r.I20, r.I21, r.I22 = int64(x>>40), int64(done+i), int64(x%1000)
			r.S23, r.S24 = cats[x%uint64(len(cats))], cats[(x>>8)%3]
		}
		if _, err := w.Write(buf[:n]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkParquetReadColumn reads a 25-column × 2M-row file: every column with two
// goroutines (the DESIGN.md target is about 0.2 s per op), and one double column.
func BenchmarkParquetReadColumn(b *testing.B) {
	p := writeBenchFile(b)
	ds := mustFromPath(b, p)
	ctx := context.Background()

	b.Run("25_columns_2_goroutines", func(b *testing.B) {
		src := mustOpen(b, ds, pipeline.Window{})
		b.ReportAllocs()
		for b.Loop() {
			names := make(chan string)
			var wg sync.WaitGroup
			var rows [2]int64
			for g := range 2 {
				wg.Go(func() {
					for name := range names {
						if err := src.ReadColumn(ctx, name, func(c pipeline.Column) error {
							rows[g] += int64(c.Len())
							return nil
						}); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for _, f := range src.Schema().Fields {
				names <- f.Name
			}
			close(names)
			wg.Wait()
			if rows[0]+rows[1] != 25*benchRows {
				b.Fatalf("read %d values, want %d", rows[0]+rows[1], 25*benchRows)
			}
		}
		b.ReportMetric(float64(25*benchRows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
	})

	// The same 25 columns through parquet-go's page reader alone (decompress and decode
	// pages, no conversion): the floor for the reader above.
	b.Run("25_columns_2_goroutines_pages_only", func(b *testing.B) {
		src := mustOpen(b, ds, pipeline.Window{})
		pf := src.(*source).files[0].(*pqFile)
		b.ReportAllocs()
		for b.Loop() {
			leaves := make(chan int)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					for leaf := range leaves {
						for _, rg := range pf.f.RowGroups() {
							pages := rg.ColumnChunks()[leaf].(*parquet.FileColumnChunk).PagesFrom(pf.fh)
							for {
								p, err := pages.ReadPage()
								if err != nil {
									break
								}
								parquet.Release(p)
							}
							pages.Close()
						}
					}
				})
			}
			for _, c := range pf.cols {
				leaves <- c.leaf
			}
			close(leaves)
			wg.Wait()
		}
	})

	for _, col := range []string{"F00", "O17", "I21", "S23"} {
		b.Run("one_column_"+col, func(b *testing.B) {
			src := mustOpen(b, ds, pipeline.Window{})
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				if err := src.ReadColumn(ctx, col, func(c pipeline.Column) error {
					n += c.Len()
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if n != benchRows {
					b.Fatalf("read %d rows, want %d", n, benchRows)
				}
			}
		})
	}
}
