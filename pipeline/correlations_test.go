package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

func tableCol(t *Table, name string) []float64 {
	for _, c := range t.Columns {
		if c.Name == name {
			return c.Float64
		}
	}
	return nil
}

func TestCorrelations_drift(t *testing.T) {
	c := newChurn(11, 3000, 2000)
	rep := runChurn(t, c, churnOptions(), true)
	cr, ok := rep.Correlations.(*Correlations)
	if !ok {
		t.Fatalf("correlations = %T", rep.Correlations)
	}
	if want := []string{"x1", "x2", "x3"}; len(cr.Columns) != 3 || cr.Columns[0] != "x1" || cr.Columns[2] != "x3" {
		t.Fatalf("columns = %v, want %v (pred and p are not features)", cr.Columns, want)
	}
	// entries equal the two-slice kernels (tested against pandas in package stats)
	for i, a := range cr.Columns {
		for j, b := range cr.Columns {
			if i == j {
				continue
			}
			wr := stats.Pearson(tableCol(c.ref, a), tableCol(c.ref, b))
			wc := stats.Spearman(tableCol(c.cur, a), tableCol(c.cur, b))
			if math.Abs(float64(cr.Pearson.Reference[i][j])-wr) > 1e-12 || math.Abs(float64(cr.Spearman.Current[i][j])-wc) > 1e-12 {
				t.Errorf("%s-%s: pearson ref %v (want %v), spearman cur %v (want %v)", a, b,
					cr.Pearson.Reference[i][j], wr, cr.Spearman.Current[i][j], wc)
			}
		}
	}
	// x1-x2 went from +0.8 to -0.6
	p := cr.Pearson
	if !p.Drifted || !cr.Drifted || p.MaxAbsPair[0] != "x1" || p.MaxAbsPair[1] != "x2" || float64(p.MaxAbsDiff) < 1.2 {
		t.Errorf("pearson drift: drifted %v, pair %v, max %v", p.Drifted, p.MaxAbsPair, p.MaxAbsDiff)
	}
	var ss float64
	for i := range p.Diff {
		for j := range p.Diff {
			d := float64(p.Current[i][j]) - float64(p.Reference[i][j])
			if float64(p.Diff[i][j]) != d {
				t.Errorf("diff[%d][%d] = %v, want %v", i, j, p.Diff[i][j], d)
			}
			ss += d * d
		}
	}
	if math.Abs(float64(p.Frobenius)-math.Sqrt(ss)) > 1e-15 {
		t.Errorf("frobenius = %v, want %v", p.Frobenius, math.Sqrt(ss))
	}
	if cr.Threshold != DefaultCorrelationThreshold || cr.Rows.Reference != 3000 || cr.Rows.Current != 2000 || cr.Sampled {
		t.Errorf("threshold %v rows %+v sampled %v", cr.Threshold, cr.Rows, cr.Sampled)
	}
	// one categorical feature: a 1×1 Cramér's V matrix
	if cr.CramersV == nil || cr.CramersV.Columns[0] != "cat" || cr.CramersV.Reference[0][0] != 1 {
		t.Errorf("cramers_v = %+v", cr.CramersV)
	}
	// feature–target: the target comes from the reference and, for the current
	// window, from the labels joined by id
	var ft *FeatureTarget
	for i := range cr.FeatureTarget {
		if cr.FeatureTarget[i].Feature == "x1" && cr.FeatureTarget[i].Method == "pearson" {
			ft = &cr.FeatureTarget[i]
		}
	}
	if ft == nil {
		t.Fatalf("no pearson x1-target in %+v", cr.FeatureTarget)
	}
	if want := stats.Pearson(tableCol(c.ref, "x1"), c.refY); math.Abs(float64(ft.Reference)-want) > 1e-12 {
		t.Errorf("x1-y reference = %v, want %v", ft.Reference, want)
	}
	lab := make([]float64, len(c.curY))
	for i := range lab {
		lab[i] = math.NaN()
		if c.labelled[i] {
			lab[i] = c.curY[i]
		}
	}
	if want := stats.Pearson(tableCol(c.cur, "x1"), lab); math.Abs(float64(ft.Current)-want) > 1e-12 {
		t.Errorf("x1-y current = %v, want %v", ft.Current, want)
	}
}

func TestCorrelations_sampledAndThreshold(t *testing.T) {
	c := newChurn(12, 3000, 2000)
	o := churnOptions()
	o.Correlations = CorrelationOptions{MaxRows: 1000, Threshold: 2}
	rep := runChurn(t, c, o, false)
	cr := rep.Correlations.(*Correlations)
	// every 3rd reference row, every 2nd current row
	if !cr.Sampled || cr.Rows.Reference != 1000 || cr.Rows.Current != 1000 {
		t.Errorf("sampled %v rows %+v", cr.Sampled, cr.Rows)
	}
	x1, x2 := tableCol(c.ref, "x1"), tableCol(c.ref, "x2")
	var a, b []float64
	for i := 0; i < len(x1); i += 3 {
		a, b = append(a, x1[i]), append(b, x2[i])
	}
	if want := stats.Pearson(a, b); math.Abs(float64(cr.Pearson.Reference[0][1])-want) > 1e-12 {
		t.Errorf("sampled pearson = %v, want %v", cr.Pearson.Reference[0][1], want)
	}
	if cr.Drifted || cr.Threshold != 2 {
		t.Errorf("threshold 2: drifted %v", cr.Drifted)
	}
	o.Correlations.Disabled, o.Multivariate.Disabled = true, true
	if rep := runChurn(t, c, o, false); rep.Correlations != nil || rep.Multivariate != nil {
		t.Error("disabled checks still reported")
	}
}

func TestMatrixDrift_undefined(t *testing.T) {
	nan := math.NaN()
	m := matrixDrift(nil, []float64{1, nan, nan, nan}, []float64{1, 0.5, 0.5, 1}, []string{"a", "b"}, 0.25)
	if m.MaxAbsDiff != 0 || m.Drifted || m.MaxAbsPair[0] != "a" {
		t.Errorf("only the defined diagonal entry counts: %+v", m)
	}
	m = matrixDrift(nil, []float64{nan}, []float64{nan}, []string{"a"}, 0.25)
	if !math.IsNaN(float64(m.MaxAbsDiff)) || m.MaxAbsPair != nil {
		t.Errorf("all undefined: %+v", m)
	}
}

// benchTable is n rows × k numeric columns (two latent factors, 1% missing cells).
func benchTable(name string, n, k int, seed uint64, missing float64) *Table {
	r := rand.New(rand.NewPCG(seed, 1))
	cols := make([]Column, k)
	for j := range cols {
		cols[j] = Column{Name: fmt.Sprintf("x%02d", j), Kind: KindNumeric, Float64: make([]float64, n)}
	}
	for i := range n {
		f, g := r.NormFloat64(), r.NormFloat64()
		for j := range cols {
			v := float64(j%3)*f - float64(j%2)*g + r.NormFloat64()
			if missing > 0 && r.Float64() < missing {
				v = math.NaN()
			}
			cols[j].Float64[i] = v
		}
	}
	return &Table{Name: name, Columns: cols, ChunkRows: 64 << 10}
}

// The run-level correlation and multivariate checks on 1M rows × 20 numeric columns
// per side, complete and with 1% missing cells: the second, row-aligned read of both
// sides from memory, Pearson, Spearman, PCA fit, reference chunks and the current error.
// Issue targets: correlations <= 0.5 s, PCA multivariate <= 1 s.
func BenchmarkCorrelationChecks(b *testing.B) {
	for _, missing := range []float64{0, 0.01} {
		ref, cur := benchTable("ref", 1_000_000, 20, 1, missing), benchTable("cur", 1_000_000, 20, 2, missing)
		rep := &Report{}
		for _, c := range ref.Columns {
			rep.Columns = append(rep.Columns, ColumnReport{Name: c.Name, Kind: KindNumeric, Role: RoleFeature, Status: StatusOK})
		}
		ctx := context.Background()
		rs, _ := ref.Open(ctx, Window{})
		cs, _ := cur.Open(ctx, Window{})
		for _, mode := range []string{"correlations", "multivariate", "both"} {
			o := &Options{Parallelism: 2}
			o.Correlations.Disabled = mode == "multivariate"
			o.Multivariate.Disabled = mode == "correlations"
			b.Run(fmt.Sprintf("missing=%g/%s", missing, mode), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := correlationChecks(ctx, rs, cs, o, nil, rep); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// readValues keeps rows 0, step, 2·step, ... across chunk boundaries, for values and
// for values read as labels.
func TestReadValues_stepAcrossChunks(t *testing.T) {
	const n = 103
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	x[9] = math.NaN()
	ctx := context.Background()
	for _, chunk := range []int{0, 1, 7, 10, 64} {
		src, err := (&Table{Name: "t", ChunkRows: chunk, Columns: []Column{{Name: "x", Kind: KindNumeric, Float64: x}}}).Open(ctx, Window{})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []int64{1, 2, 3, 10, 200} {
			var want []float64
			for i := int64(0); i < n; i += step {
				want = append(want, x[i])
			}
			c, err := readValues(ctx, src, "x", false, step)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(c.f) != fmt.Sprint(want) {
				t.Errorf("chunk %d step %d: got %v, want %v", chunk, step, c.f, want)
			}
			l, err := readValues(ctx, src, "x", true, step)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.codes) != len(want) {
				t.Errorf("chunk %d step %d as labels: %d codes, want %d", chunk, step, len(l.codes), len(want))
			}
		}
	}
}

// A report read back from its JSON writes the same JSON (the file sink reads its earlier
// reports for trend lines): every field type unmarshals, roles and kinds by name, null
// numbers as NaN.
func TestReport_jsonRoundTrip(t *testing.T) {
	rep := runChurn(t, newChurn(3, 3000, 2000), churnOptions(), true)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("read back: %v", err)
	}
	again, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	// the same JSON up to the order of keys (sections typed any come back as maps)
	var v1, v2 any
	if json.Unmarshal(b, &v1) != nil || json.Unmarshal(again, &v2) != nil || !reflect.DeepEqual(v1, v2) {
		t.Errorf("round trip changed the report (%d bytes, then %d)", len(b), len(again))
	}
	roles := map[Role]bool{}
	for _, c := range back.Columns {
		roles[c.Role] = true
	}
	if !roles[RoleTarget] || !roles[RolePrediction] || !roles[RoleFeature] {
		t.Errorf("roles read back: %v", roles)
	}
	var r Role
	if err := r.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("unknown role accepted")
	}
}
