package sources

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources/sourcestest"
)

// TestShard: eight shards of a dataset (two files, row groups of 100 rows) cover every
// row exactly once, with and without a window, and each shard is a conforming source.
func TestShard(t *testing.T) {
	dir := t.TempDir()
	var rows []windowRow
	for i := range 1500 {
		rows = append(rows, windowRow{TS: windowBase.UnixMilli() + int64(i)*60_000, X: float64(i), Cat: string(rune('a' + i%7))})
	}
	writeParquet(t, filepath.Join(dir, "a.parquet"), rows[:900], 100)
	writeParquet(t, filepath.Join(dir, "b.parquet"), rows[900:], 100)
	base, err := FromPath(dir, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ds   pipeline.Dataset
		w    pipeline.Window
	}{
		{"all", base, pipeline.Window{}},
		{"window", WithTimestamp(base, "ts"), pipeline.Window{Start: windowBase.Add(250 * 60_000_000_000), End: windowBase.Add(1234 * 60_000_000_000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := readAll(t, mustOpen(t, tc.ds, tc.w), "x")
			var got []float64
			var total int64
			for k := range 8 {
				sh, err := Shard(tc.ds, k, 8)
				if err != nil {
					t.Fatal(err)
				}
				src := mustOpen(t, sh, tc.w)
				c := readAll(t, src, "x")
				if int64(len(c.f64)) != src.Rows() {
					t.Errorf("shard %d: %d values, Rows() = %d", k, len(c.f64), src.Rows())
				}
				total += src.Rows()
				got = append(got, c.f64...)
			}
			slices.Sort(got)
			want := slices.Clone(whole.f64)
			slices.Sort(want)
			if !slices.Equal(got, want) || total != int64(len(want)) {
				t.Errorf("shards hold %d values (rows %d), want the %d of the whole", len(got), total, len(want))
			}
		})
	}
	sh, _ := Shard(base, 3, 8)
	t.Run("conformance", func(t *testing.T) { sourcestest.Run(t, sh, pipeline.Window{}) })
	if got := sh.String(); got != base.String()+" shard 3/8" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"8/8", "-1/3", "1", "a/b", "1/0", "01/2"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) = nil error", bad)
		}
	}
	if k, n, err := ParseShard("7/8"); k != 7 || n != 8 || err != nil {
		t.Errorf("ParseShard(7/8) = %d, %d, %v", k, n, err)
	}
}
