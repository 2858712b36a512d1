package gen

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go/format"
)

// treeHash hashes every file under dir (relative path and content) in path order.
func treeHash(t *testing.T, dir string) (string, []string) {
	t.Helper()
	h := sha256.New()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), files
}

// demoDir generates the demo once per test binary (seed 7) and returns its folder.
var demoOnce struct {
	dir string
	err error
}

func demoDir(t *testing.T) string {
	t.Helper()
	if demoOnce.dir == "" && demoOnce.err == nil {
		dir, err := os.MkdirTemp("", "dwgen-demo-*")
		if err == nil {
			_, err = Demo(context.Background(), dir, 7)
		}
		demoOnce.dir, demoOnce.err = dir, err
	}
	if demoOnce.err != nil {
		t.Fatalf("Demo: %v", demoOnce.err)
	}
	return demoOnce.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoOnce.dir != "" {
		os.RemoveAll(demoOnce.dir)
	}
	os.Exit(code)
}

func TestDemo_deterministic(t *testing.T) {
	a := demoDir(t)
	b := t.TempDir()
	if _, err := Demo(context.Background(), b, 7); err != nil {
		t.Fatal(err)
	}
	ha, files := treeHash(t, a)
	hb, _ := treeHash(t, b)
	if ha != hb {
		t.Errorf("two runs with seed 7 differ: %s vs %s", ha, hb)
	}
	want := []string{
		"labels/dt=2026-11-21/part-0.parquet", "labels/dt=2026-11-22/part-0.parquet",
		"labels/dt=2026-11-23/part-0.parquet", "labels/dt=2026-11-24/part-0.parquet",
		"labels/dt=2026-11-25/part-0.parquet", "labels/dt=2026-11-26/part-0.parquet",
		"live/dt=2026-11-20/part-0.parquet", "live/dt=2026-11-21/part-0.parquet",
		"live/dt=2026-11-22/part-0.parquet", "live/dt=2026-11-23/part-0.parquet",
		"live/dt=2026-11-24/part-0.parquet", "live/dt=2026-11-25/part-0.parquet",
		"live/dt=2026-11-26/part-0.parquet", "reference/train.parquet",
	}
	if !sameNames(files, want) {
		t.Errorf("files = %v, want %v (no temporary files left)", files, want)
	}
	c := t.TempDir()
	if _, err := Demo(context.Background(), c, 8); err != nil {
		t.Fatal(err)
	}
	if hc, _ := treeHash(t, c); hc == ha {
		t.Error("seeds 7 and 8 gave identical output")
	}
}

func TestDemo_cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := Demo(ctx, dir, 7); err == nil {
		t.Error("Demo with a cancelled context: want an error")
	}
	_, files := treeHash(t, dir)
	for _, f := range files {
		if strings.Contains(f, ".tmp-") {
			t.Errorf("temporary file left behind: %s", f)
		}
	}
}

// demoStats summarises one demo file.
type demoStats struct {
	rows                                 int
	incomeMean, balanceNull, se, branch  float64
	premium, pred, scoreMean, churnShare float64
}

func checkDemoFile(t *testing.T, path string, train bool, dayStart, dayEnd time.Time, ids map[string]bool) demoStats {
	t.Helper()
	tb := readTable(t, path)
	want := []string{"request_id", "ts", "age", "income", "credit_score", "balance", "tenure_months",
		"num_products", "country", "channel", "is_premium", "score", "prediction"}
	if train {
		want = append(want, "churned")
	}
	if !sameNames(tb.names, want) {
		t.Fatalf("%s: columns %v, want %v", path, tb.names, want)
	}
	wantTypes := []format.Type{format.ByteArray, format.Int64, format.Int32, format.Double, format.Int64,
		format.Double, format.Int32, format.Int32, format.ByteArray, format.ByteArray, format.Boolean,
		format.Double, format.Int32, format.Int32}
	for i := range tb.names {
		if typ, _ := tb.physical(i); typ != wantTypes[i] {
			t.Errorf("%s: column %s has type %v, want %v", path, tb.names[i], typ, wantTypes[i])
		}
	}
	if _, encs := tb.physical(8); !hasEncoding(encs, format.RLEDictionary) {
		t.Errorf("%s: country encodings %v, want RLE_DICTIONARY", path, encs)
	}
	lt := tb.file.Schema().Fields()[1].Type().LogicalType()
	if ts, ok := lt.Value.(*format.TimestampType); !ok || !ts.IsAdjustedToUTC || ts.Unit.Value.String() != "MICROS" {
		t.Errorf("%s: ts logical type %v, want TIMESTAMP(MICROS, UTC)", path, lt)
	}
	var s demoStats
	s.rows = tb.rows
	id, ts, age, inc := tb.col(t, "request_id"), tb.col(t, "ts"), tb.col(t, "age"), tb.col(t, "income")
	cs, bal, ten, np := tb.col(t, "credit_score"), tb.col(t, "balance"), tb.col(t, "tenure_months"), tb.col(t, "num_products")
	ctry, ch, prem := tb.col(t, "country"), tb.col(t, "channel"), tb.col(t, "is_premium")
	score, pred := tb.col(t, "score"), tb.col(t, "prediction")
	countries := map[string]bool{"DE": true, "FR": true, "ES": true, "IT": true, "NL": true, "PL": true, "SE": true}
	channels := map[string]bool{"web": true, "app": true, "branch": true, "partner": true}
	lo, hi := dayStart.UnixMicro(), dayEnd.UnixMicro()
	for i := range tb.rows {
		r := id[i].String()
		if ids[r] {
			t.Fatalf("%s: request_id %q repeats", path, r)
		}
		ids[r] = true
		if v := ts[i].Int64(); v < lo || v >= hi {
			t.Fatalf("%s row %d: ts %v outside [%v, %v)", path, i, time.UnixMicro(v).UTC(), dayStart, dayEnd)
		}
		if i > 0 && ts[i].Int64() < ts[i-1].Int64() {
			t.Fatalf("%s row %d: ts not sorted", path, i)
		}
		if a := age[i].Int32(); a < 18 || a > 90 {
			t.Fatalf("%s row %d: age %d outside 18..90", path, i, a)
		}
		if c := cs[i].Int64(); c < 300 || c > 850 {
			t.Fatalf("%s row %d: credit_score %d outside 300..850", path, i, c)
		}
		if n := np[i].Int32(); n < 1 || n > 4 {
			t.Fatalf("%s row %d: num_products %d outside 1..4", path, i, n)
		}
		if m := ten[i].Int32(); m < 1 || m > 240 {
			t.Fatalf("%s row %d: tenure_months %d outside 1..240", path, i, m)
		}
		if !countries[ctry[i].String()] || !channels[ch[i].String()] {
			t.Fatalf("%s row %d: country %q channel %q", path, i, ctry[i], ch[i])
		}
		sc := score[i].Double()
		if !(sc >= 0 && sc <= 1) {
			t.Fatalf("%s row %d: score %v outside [0, 1]", path, i, sc)
		}
		if p := pred[i].Int32(); (p == 1) != (sc >= 0.5) {
			t.Fatalf("%s row %d: prediction %d for score %v", path, i, p, sc)
		}
		if x := inc[i].Double(); !(x > 0) {
			t.Fatalf("%s row %d: income %v", path, i, x)
		}
		s.incomeMean += inc[i].Double()
		if bal[i].IsNull() {
			s.balanceNull++
		} else if b := bal[i].Double(); !(b > 0) || math.IsInf(b, 0) {
			t.Fatalf("%s row %d: balance %v", path, i, b)
		}
		if ctry[i].String() == "SE" {
			s.se++
		}
		if ch[i].String() == "branch" {
			s.branch++
		}
		if prem[i].Boolean() {
			s.premium++
		}
		s.pred += float64(pred[i].Int32())
		s.scoreMean += sc
		if train {
			s.churnShare += float64(tb.col(t, "churned")[i].Int32())
		}
	}
	n := float64(tb.rows)
	s.incomeMean /= n
	s.balanceNull /= n
	s.se /= n
	s.branch /= n
	s.premium /= n
	s.pred /= n
	s.scoreMean /= n
	s.churnShare /= n
	return s
}

func TestDemo_contents(t *testing.T) {
	dir := demoDir(t)
	ids := map[string]bool{}
	train := checkDemoFile(t, filepath.Join(dir, "reference", "train.parquet"), true, demoTrainStart, demoTrainedAt, ids)
	if train.rows != DemoTrainRows {
		t.Errorf("train rows = %d, want %d", train.rows, DemoTrainRows)
	}
	// Shares of 20,000 Bernoulli draws: sd ≤ 0.0035, so ±0.015 is > 4 sd.
	if math.Abs(train.balanceNull-0.08) > 0.015 || train.se != 0 || math.Abs(train.branch-0.20) > 0.015 ||
		math.Abs(train.premium-0.18) > 0.015 {
		t.Errorf("train: balance null %.3f (want 0.08), SE %.3f (0), branch %.3f (0.20), premium %.3f (0.18)",
			train.balanceNull, train.se, train.branch, train.premium)
	}
	if train.churnShare < 0.1 || train.churnShare > 0.4 || train.pred < 0.02 || train.pred > 0.3 {
		t.Errorf("train: churn share %.3f, prediction share %.3f: want a plausible churn model", train.churnShare, train.pred)
	}
	// income ~ lognormal(ln 42000, 0.5): mean 42000·e^{0.125} = 47591
	if want := 42000 * math.Exp(0.125); math.Abs(train.incomeMean/want-1) > 0.02 {
		t.Errorf("train income mean %.0f, want %.0f ±2%%", train.incomeMean, want)
	}
	var last demoStats
	for day := range DemoLiveDays {
		start := demoLiveStart.AddDate(0, 0, day)
		path := filepath.Join(dir, "live", "dt="+start.Format("2006-01-02"), "part-0.parquet")
		s := checkDemoFile(t, path, false, start, start.AddDate(0, 0, 1), ids)
		if s.rows != DemoLiveRows {
			t.Errorf("day %d: rows = %d, want %d", day, s.rows, DemoLiveRows)
		}
		// income mean +3% per day (sd of a 5,000-row mean is 0.75%)
		if want := 1 + 0.03*float64(day+1); math.Abs(s.incomeMean/train.incomeMean-want) > 0.035 {
			t.Errorf("day %d: income mean ratio %.3f, want %.2f", day, s.incomeMean/train.incomeMean, want)
		}
		wantNull, wantSE := 0.08, 0.0
		if day >= 5 {
			wantNull = 0.30
		}
		if day >= 4 {
			wantSE = 0.04
		}
		if math.Abs(s.balanceNull-wantNull) > 0.03 || math.Abs(s.se-wantSE) > 0.015 || (wantSE == 0) != (s.se == 0) {
			t.Errorf("day %d: balance null %.3f (want %.2f), SE %.3f (want %.2f)", day, s.balanceNull, wantNull, s.se, wantSE)
		}
		if math.Abs(s.premium-train.premium) > 0.025 {
			t.Errorf("day %d: premium share %.3f, train %.3f: must not drift", day, s.premium, train.premium)
		}
		last = s
	}
	// the last day: branch keeps 20% of 0.20, score falls a little with the higher income
	if last.branch > 0.07 {
		t.Errorf("last day: branch share %.3f, want ≈ 0.04", last.branch)
	}
	if d := train.scoreMean - last.scoreMean; d <= 0 || d > 0.05 {
		t.Errorf("score mean train %.3f, last day %.3f: want a small drop", train.scoreMean, last.scoreMean)
	}
}

func TestDemo_labels(t *testing.T) {
	dir := demoDir(t)
	// the prediction time of every live request
	predTS := map[string]int64{}
	for day := range DemoLiveDays {
		start := demoLiveStart.AddDate(0, 0, day)
		tb := readTable(t, filepath.Join(dir, "live", "dt="+start.Format("2006-01-02"), "part-0.parquet"))
		id, ts := tb.col(t, "request_id"), tb.col(t, "ts")
		for i := range tb.rows {
			predTS[id[i].String()] = ts[i].Int64()
		}
	}
	total := 0
	seen := map[string]bool{}
	for day := 1; day < DemoLiveDays; day++ {
		start := demoLiveStart.AddDate(0, 0, day)
		tb := readTable(t, filepath.Join(dir, "labels", "dt="+start.Format("2006-01-02"), "part-0.parquet"))
		if want := []string{"request_id", "churned", "label_ts"}; !sameNames(tb.names, want) {
			t.Fatalf("labels columns %v, want %v", tb.names, want)
		}
		id, ch, lts := tb.col(t, "request_id"), tb.col(t, "churned"), tb.col(t, "label_ts")
		for i := range tb.rows {
			r, l := id[i].String(), lts[i].Int64()
			p, ok := predTS[r]
			if !ok || seen[r] {
				t.Fatalf("label %q: unknown or repeated request_id", r)
			}
			seen[r] = true
			if d := time.Duration(l-p) * time.Microsecond; d < 24*time.Hour || d >= 10*24*time.Hour {
				t.Fatalf("label %q arrives %v after the prediction, want 1..10 days", r, d)
			}
			if l < start.UnixMicro() || l >= start.AddDate(0, 0, 1).UnixMicro() || l >= demoLabelCutoff.UnixMicro() {
				t.Fatalf("label %q: label_ts %v outside its partition %s or after the cutoff", r, time.UnixMicro(l).UTC(), start)
			}
			if c := ch[i].Int32(); c != 0 && c != 1 {
				t.Fatalf("label %q: churned %d", r, c)
			}
			total++
		}
	}
	// A prediction at uniform time in day d (0..6) with a uniform 1..10-day delay is labelled
	// before the cutoff (7 days after the first day) with probability ∫ P(delay < 7-d-u) du:
	// Σ_d E[clamp((6-d-u)/9, 0, 1)] over u ~ U(0,1) = (5.5+4.5+…+0.5)/9 = 18/9 = 2 days of 7,
	// so the expected count is 5000·2 = 10,000 labels.
	if math.Abs(float64(total)-10000) > 400 {
		t.Errorf("labels = %d, want ≈ 10,000", total)
	}
}
