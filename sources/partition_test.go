package sources

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

func TestPartitionSpan(t *testing.T) {
	utc := time.UTC
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	for _, c := range []struct {
		rel        string
		loc        *time.Location
		start, end string // RFC 3339; empty: no period
	}{
		{"dt=2026-11-27", utc, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"},
		{"date=2026-11-27", utc, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"},
		{"DS=20261231", utc, "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"region=eu/dt=2026-11-27", utc, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"},
		{"dt=2026-11-27-05", utc, "2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"},
		{"dt=2026-11-27T23", utc, "2026-11-27T23:00:00Z", "2026-11-28T00:00:00Z"},
		{"dt=2026-11-27/hour=07", utc, "2026-11-27T07:00:00Z", "2026-11-27T08:00:00Z"},
		{"year=2026", utc, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"year=2026/month=2", utc, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"year=2026/month=12/day=31", utc, "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"year=2026/month=12/day=31/hour=23", utc, "2026-12-31T23:00:00Z", "2027-01-01T00:00:00Z"},
		// Not a period: no key, unparseable values, gaps in the hierarchy, impossible dates.
		{"live", utc, "", ""},
		{"dt=latest", utc, "", ""},
		{"month=11/day=27", utc, "", ""},
		{"year=2026/month=13", utc, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}, // month ignored: the year holds
		{"year=2026/month=2/day=30", utc, "", ""},
		{"hour=05", utc, "", ""},
		// Calendar periods in a zone with DST: 23 and 25 hour days.
		{"dt=2026-11-27", berlin, "2026-11-26T23:00:00Z", "2026-11-27T23:00:00Z"},
		{"dt=2026-03-29", berlin, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"},
		{"dt=2026-10-25", berlin, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"},
		// 02:00 does not exist on 2026-03-29 in Berlin: the hour is empty, at the jump.
		{"dt=2026-03-29/hour=02", berlin, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z"},
		// 02:00-03:00 happens twice on 2026-10-25: both passes are in the partition.
		{"dt=2026-10-25/hour=02", berlin, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"},
	} {
		start, end, ok := partitionSpan(filepath.FromSlash(c.rel), c.loc)
		if c.start == "" {
			if ok {
				t.Errorf("partitionSpan(%q) = [%s, %s), want no period", c.rel, start, end)
			}
			continue
		}
		if !ok || !start.Equal(d(c.start)) || !end.Equal(d(c.end)) {
			t.Errorf("partitionSpan(%q, %s) = [%s, %s) %v, want [%s, %s)", c.rel, c.loc, start, end, ok, c.start, c.end)
		}
	}
}

// writePartitions writes one Parquet file per day under root/dt=YYYY-MM-DD/, 48 rows
// at 30-minute steps in 4 row groups of 6 hours; x is the row's minute since first.
func writePartitions(t *testing.T, root string, first time.Time, days int) {
	for day := range days {
		var rows []windowRow
		for i := range 48 {
			ts := first.AddDate(0, 0, day).Add(time.Duration(i) * 30 * time.Minute)
			rows = append(rows, windowRow{TS: ts.UnixMilli(), X: ts.Sub(first).Minutes(), Cat: "a"})
		}
		p := filepath.Join(root, "dt="+first.AddDate(0, 0, day).Format("2006-01-02"), "part-0.parquet")
		writeParquet(t, p, rows, 12)
	}
}

func openedFiles(src pipeline.Source) []string {
	var out []string
	for _, f := range src.(*source).files {
		out = append(out, filepath.Base(filepath.Dir(f.name())))
	}
	return out
}

// TestParquet_PartitionPruning: a week of daily partitions read for the window
// [Nov 25 06:00, Nov 26 06:00): only the two partitions that overlap it are opened,
// no row group needs its timestamps read (statistics settle every one), and the rows
// are exactly those of the window, as without pruning.
func TestParquet_PartitionPruning(t *testing.T) {
	root := filepath.Join(t.TempDir(), "live")
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	writePartitions(t, root, t0, 7)
	w := pipeline.Window{Start: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}

	pruned := mustOpen(t, mustParquet(t, root, ""), w)
	if got := openedFiles(pruned); strings.Join(got, ",") != "dt=2026-11-25,dt=2026-11-26" {
		t.Errorf("opened %v, want dt=2026-11-25 and dt=2026-11-26", got)
	}
	s := pruned.(*source)
	if s.pruned != 5 {
		t.Errorf("partitions pruned = %d, want 5", s.pruned)
	}
	if got := s.unitsRead.Load(); got != 0 {
		t.Errorf("row groups read to build masks = %d, want 0 (statistics decide)", got)
	}
	if pruned.Rows() != 48 {
		t.Errorf("Rows() = %d, want 48", pruned.Rows())
	}
	x := readAll(t, pruned, "x").f64
	// 3 row groups of Nov 25 (06:00-24:00) and 1 of Nov 26 (00:00-06:00) are decoded.
	if got := s.unitsRead.Load(); got != 4 {
		t.Errorf("row groups decoded for x = %d, want 4", got)
	}
	start := w.Start.Sub(t0).Minutes()
	if len(x) != 48 || x[0] != start || x[47] != start+47*30 {
		t.Errorf("x = %d values [%v … %v], want 48 from %v in steps of 30", len(x), first(x), last(x), start)
	}

	// The same rows with pruning off, from all 7 files.
	all := mustOpen(t, mustParquet(t, root, "partitions: ignore"), w)
	if n := len(openedFiles(all)); n != 7 {
		t.Errorf("partitions: ignore opened %d files, want 7", n)
	}
	if y := readAll(t, all, "x").f64; !equalF(x, y) {
		t.Errorf("pruned rows differ from unpruned: %v vs %v", x, y)
	}

	// A glob over the partitions prunes the same way.
	glob := mustOpen(t, mustParquet(t, filepath.Join(root, "dt=*", "*.parquet"), ""), w)
	if got := openedFiles(glob); len(got) != 2 {
		t.Errorf("glob opened %v, want the 2 partitions of the window", got)
	}

	// No window (a snapshot): every partition.
	if n := len(openedFiles(mustOpen(t, mustParquet(t, root, ""), pipeline.Window{}))); n != 7 {
		t.Errorf("zero window opened %d files, want 7", n)
	}
}

// TestParquet_PartitionHierarchy: year=/month=/day=/hour= folders, one file per hour;
// a 3-hour window opens 3 files of 48.
func TestParquet_PartitionHierarchy(t *testing.T) {
	root := filepath.Join(t.TempDir(), "live")
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for h := range 48 {
		ts := t0.Add(time.Duration(h) * time.Hour)
		p := filepath.Join(root, fmt.Sprintf("year=%d/month=%02d/day=%02d/hour=%02d/part-0.parquet", ts.Year(), ts.Month(), ts.Day(), ts.Hour()))
		writeParquet(t, p, []windowRow{{TS: ts.Add(10 * time.Minute).UnixMilli(), X: float64(h), Cat: "a"}}, 10)
	}
	w := pipeline.Window{Start: t0.Add(29 * time.Hour), End: t0.Add(32 * time.Hour)}
	src := mustOpen(t, mustParquet(t, root, ""), w)
	if got := openedFiles(src); strings.Join(got, ",") != "hour=05,hour=06,hour=07" {
		t.Errorf("opened %v, want hours 05-07 of Nov 27", got)
	}
	if x := readAll(t, src, "x").f64; !equalF(x, []float64{29, 30, 31}) {
		t.Errorf("x = %v, want [29 30 31]", x)
	}
}

// TestParquet_PartitionNoneInWindow: a window before the first partition opens no file
// and gives an empty dataset with a warning, not an error; a folder without files is
// still an error.
func TestParquet_PartitionNoneInWindow(t *testing.T) {
	root := filepath.Join(t.TempDir(), "live")
	writePartitions(t, root, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 2)
	w := pipeline.Window{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	src := mustOpen(t, mustParquet(t, root, ""), w)
	if src.Rows() != 0 || len(openedFiles(src)) != 0 {
		t.Errorf("Rows() = %d, files %v, want 0 and none", src.Rows(), openedFiles(src))
	}
	if f := findings(src.Schema(), "no_partition_in_window"); len(f) != 1 || !strings.Contains(f[0].Message, "2 partition folders skipped") {
		t.Errorf("findings = %+v, want one no_partition_in_window naming 2 skipped", src.Schema().Findings)
	}
	if _, err := mustParquet(t, t.TempDir(), "").Open(t.Context(), w); err == nil || !strings.Contains(err.Error(), "no files match") {
		t.Errorf("Open(empty folder) = %v, want no files match", err)
	}
}

// TestParquet_PartitionTimezone: partition values in Berlin dates; the Berlin day
// Nov 27 is [Nov 26 23:00Z, Nov 27 23:00Z).
func TestParquet_PartitionTimezone(t *testing.T) {
	root := filepath.Join(t.TempDir(), "live")
	writePartitions(t, root, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), 4)
	w := pipeline.Window{Start: time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	utc := mustOpen(t, mustParquet(t, root, ""), w)
	if got := openedFiles(utc); strings.Join(got, ",") != "dt=2026-11-26,dt=2026-11-27" {
		t.Errorf("UTC partitions: opened %v", got)
	}
	berlin := mustOpen(t, mustParquet(t, root, "partition_timezone: Europe/Berlin"), w)
	if got := openedFiles(berlin); strings.Join(got, ",") != "dt=2026-11-27" {
		t.Errorf("Berlin partitions: opened %v, want dt=2026-11-27 only", got)
	}
}

func TestPartitionConfig(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"path: x\npartitions: sometimes", `partitions: "sometimes" is not one of auto, ignore`},
		{"path: x\npartition_timezone: Mars/Olympus", "partition_timezone: unknown time zone Mars/Olympus"},
	} {
		_, err := newParquet(yamlDecoder(c.yaml), Deps{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("newParquet(%q) = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func mustParquet(t *testing.T, path, extra string) pipeline.Dataset {
	t.Helper()
	ds, err := newParquet(yamlDecoder(fmt.Sprintf("path: %s\ntimestamp: ts\n%s", path, extra)), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// BenchmarkOpenPartitioned: a year of daily partitions (one small file each), opened
// for a one-day window, with and without pruning.
func BenchmarkOpenPartitioned(b *testing.B) {
	root := filepath.Join(b.TempDir(), "live")
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := range 365 {
		day := first.AddDate(0, 0, d)
		writeParquet(b, filepath.Join(root, "dt="+day.Format("2006-01-02"), "part-0.parquet"),
			[]windowRow{{TS: day.Add(time.Hour).UnixMilli(), X: float64(d), Cat: "a"}}, 10)
	}
	w := pipeline.Window{Start: first.AddDate(0, 0, 200), End: first.AddDate(0, 0, 201)}
	for _, mode := range []string{"auto", "ignore"} {
		b.Run(mode, func(b *testing.B) {
			ds, err := newParquet(yamlDecoder("path: "+root+"\ntimestamp: ts\npartitions: "+mode), Deps{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				src, err := ds.Open(context.Background(), w)
				if err != nil {
					b.Fatal(err)
				}
				if src.Rows() != 1 {
					b.Fatalf("Rows() = %d, want 1", src.Rows())
				}
				src.Close()
			}
		})
	}
}
