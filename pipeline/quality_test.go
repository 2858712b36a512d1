package pipeline

import (
	"context"
	"testing"
)

func TestQuality_constantColumns(t *testing.T) {
	n := 50
	vals := func(f func(i int) float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = f(i)
		}
		return x
	}
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "became_constant", Kind: KindNumeric, Float64: vals(func(i int) float64 { return float64(i % 7) })},
		{Name: "always", Kind: KindNumeric, Float64: vals(func(int) float64 { return 3 })},
		{Name: "fine", Kind: KindNumeric, Float64: vals(func(i int) float64 { return float64(i) })},
	}}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "became_constant", Kind: KindNumeric, Float64: vals(func(int) float64 { return 2 })},
		{Name: "always", Kind: KindNumeric, Float64: vals(func(int) float64 { return 3 })},
		{Name: "fine", Kind: KindNumeric, Float64: vals(func(i int) float64 { return float64(i) })},
	}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findFinding(rep, "constant_column", "became_constant")
	if f == nil || f.Severity != SeverityWarning || *f.Value != 1 || *f.ReferenceValue != 7 {
		t.Errorf("became_constant: %+v", f)
	}
	if f := findFinding(rep, "constant_column", "always"); f == nil || f.Severity != SeverityInfo {
		t.Errorf("always: %+v", f)
	}
	if f := findFinding(rep, "constant_column", "fine"); f != nil {
		t.Errorf("fine: %+v", f)
	}
	// the constant columns' correlations are undefined (null), the rest defined
	cr := rep.Correlations.(*Correlations)
	if cr.Pearson.Reference[2][2] != 1 || !isNaN(cr.Pearson.Reference[1][2]) || !isNaN(cr.Pearson.Current[0][2]) {
		t.Errorf("pearson reference %v current %v", cr.Pearson.Reference, cr.Pearson.Current)
	}
}

func isNaN(n Num) bool { return n != n }
