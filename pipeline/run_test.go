package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func normal(r *rand.Rand, n int, mu, sd float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = mu + sd*r.NormFloat64()
	}
	return x
}

func findFinding(rep *Report, typ, col string) *Finding {
	for i, f := range rep.Quality {
		if f.Type == typ && f.Column == col {
			return &rep.Quality[i]
		}
	}
	return nil
}

func column(rep *Report, name string) *ColumnReport {
	for i := range rep.Columns {
		if rep.Columns[i].Name == name {
			return &rep.Columns[i]
		}
	}
	return nil
}

// TestRun_DataFacts: a missing column, a type change, an all-null column, NaN/±Inf are
// findings; the run completes.
func TestRun_DataFacts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 2000
	refNull := make([]float64, n)
	curNull := normal(r, n, 0, 1)
	for i := range refNull {
		refNull[i] = math.NaN()
	}
	curInf := normal(r, n, 0, 1)
	curInf[0], curInf[1], curInf[2] = math.Inf(1), math.Inf(-1), math.NaN()
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "a", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		{Name: "gone", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		{Name: "typed", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		{Name: "nulls", Kind: KindNumeric, Float64: refNull},
		{Name: "inf", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
	}}
	typed := make([]string, n)
	for i := range typed {
		typed[i] = "x"
	}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "a", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		StringColumn("typed", typed, nil),
		{Name: "nulls", Kind: KindNumeric, Float64: curNull},
		{Name: "inf", Kind: KindNumeric, Float64: curInf},
		{Name: "new", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
	}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, Options{Preset: "evidently"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ typ, col string }{
		{"column_missing", "gone"}, {"type_changed", "typed"}, {"all_null", "nulls"}, {"column_added", "new"},
	} {
		if findFinding(rep, want.typ, want.col) == nil {
			t.Errorf("no %s finding for %s; quality = %+v", want.typ, want.col, rep.Quality)
		}
	}
	if c := column(rep, "nulls"); c == nil || c.Status != StatusInsufficientData || c.Drifted {
		t.Errorf("nulls column = %+v, want insufficient_data", c)
	}
	c := column(rep, "inf")
	if c == nil || c.Current.Missing != 3 || c.Current.Count != int64(n-3) {
		t.Fatalf("inf column summary = %+v, want 3 missing", c)
	}
	if c.Status != StatusOK || len(c.Tests) != 1 || math.IsNaN(float64(c.Tests[0].Statistic)) {
		t.Errorf("inf column = %+v, want a finite test", c)
	}
	if rep.DatasetDrift.Columns != 2 { // a and inf
		t.Errorf("dataset drift counts %d columns, want 2", rep.DatasetDrift.Columns)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
}

func TestRun_UnknownColumnIsError(t *testing.T) {
	ref := &Table{Name: "ref", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: []float64{1, 2, 3}}}}
	_, err := Run(context.Background(), Input{Reference: ref, Current: ref}, Options{Columns: []string{"a", "b"}})
	if !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), "b (available: a)") {
		t.Fatalf("err = %v, want ErrNoColumn naming b", err)
	}
}

func TestRun_UnknownMethod(t *testing.T) {
	ref := &Table{Name: "ref", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: []float64{1, 2, 3}}}}
	_, err := Run(context.Background(), Input{Reference: ref, Current: ref}, Options{Methods: []string{"ks", "nope"}})
	if err == nil || !strings.Contains(err.Error(), `unknown method "nope" (valid: ks, wasserstein`) {
		t.Fatalf("err = %v", err)
	}
}

// TestRun_Deterministic: the same input gives byte-identical reports, whatever the
// parallelism and chunking.
func TestRun_Deterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var cols []Column
	for i := 0; i < 12; i++ {
		cols = append(cols, Column{Name: string(rune('a' + i)), Kind: KindNumeric, Float64: normal(r, 3000, float64(i%3)*0.1, 1)})
	}
	cur := &Table{Name: "cur", ChunkRows: 100}
	for i := 0; i < 12; i++ {
		cur.Columns = append(cur.Columns, Column{Name: string(rune('a' + i)), Kind: KindNumeric, Float64: normal(r, 2500, 0, 1)})
	}
	var first []byte
	for _, par := range []int{1, 2, 7} {
		rep, err := Run(context.Background(), Input{Reference: &Table{Name: "ref", Columns: cols}, Current: cur},
			Options{Parallelism: par, Methods: []string{"ks", "psi", "wasserstein"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("parallelism %d changed the report", par)
		}
	}
}

func TestRun_TextLikeColumnSkipped(t *testing.T) {
	n := 500
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "id-" + string(rune('A'+i%26)) + strings.Repeat("x", i%7) + string(rune('0'+i%10)) + string(rune(i))
	}
	ref := &Table{Name: "ref", Columns: []Column{StringColumn("rid", ids, nil)}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: ref}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Columns[0]; c.Kind != KindText || c.Status != "skipped" {
		t.Fatalf("rid = %+v, want skipped text", c)
	}
	rep, err = Run(context.Background(), Input{Reference: ref, Current: ref}, Options{Roles: Roles{Kinds: map[string]Kind{"rid": KindCategorical}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Columns[0]; c.Status != StatusOK || c.Drifted {
		t.Fatalf("declared categorical rid = %+v, want tested, no drift", c)
	}
}

func TestRun_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ref := &Table{Name: "ref", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: []float64{1, 2, 3}}}}
	if _, err := Run(ctx, Input{Reference: ref, Current: ref}, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRun_MissingShareFinding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cur := normal(r, 1000, 0, 1)
	for i := 0; i < 200; i++ {
		cur[i*5] = math.NaN()
	}
	rep, err := Run(context.Background(), Input{
		Reference: &Table{Name: "ref", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: normal(r, 1000, 0, 1)}}},
		Current:   &Table{Name: "cur", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: cur}}},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findFinding(rep, "missing_share_increase", "a")
	if f == nil || f.Severity != SeverityError || f.Message != "missing share 0% → 20.0%" {
		t.Fatalf("finding = %+v", f)
	}
}
