package gen

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeNPY writes a .npy file of format version major (1 or 2) with the given dtype,
// shape and little-endian data, padded as numpy does (header ends with \n, total
// preamble length a multiple of 64).
func writeNPY(t *testing.T, path string, major byte, descr, shape string, data []byte) {
	t.Helper()
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	pre := 10
	if major >= 2 {
		pre = 12
	}
	pad := 64 - (pre+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	b := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	b = append(b, data...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func f8(xs ...float64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func i4(xs ...int32) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func writeMeta(t *testing.T, dir string, meta any) {
	t.Helper()
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var npyOpt = NPYOptions{RowGroup: 1 << 20, Codec: "snappy"}

func TestNPYToParquet(t *testing.T) {
	dir := t.TempDir()
	writeMeta(t, dir, map[string]any{
		"numeric":     []string{"x", "y"},
		"categorical": []string{"c"},
		"categories":  map[string][]string{"c": {"lo", "hi", "new"}},
	})
	nan := math.NaN()
	// reference: 3 rows (v1 header); current: 2 rows (v2 header)
	writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(3, 2)", f8(1.5, nan, 3.25, -2, 0, math.Inf(1))) // rows (x, y), C order
	writeNPY(t, filepath.Join(dir, "reference_cat.npy"), 1, "<i4", "(3, 1)", i4(0, -1, 1))
	writeNPY(t, filepath.Join(dir, "current_num.npy"), 2, "<f8", "(2, 2)", f8(nan, nan, 7, 8))
	writeNPY(t, filepath.Join(dir, "current_cat.npy"), 2, "<i4", "(2, 1)", i4(2, 2))
	out := filepath.Join(t.TempDir(), "pq")
	s, err := NPYToParquet(context.Background(), dir, out, npyOpt)
	if err != nil {
		t.Fatal(err)
	}
	if s.RefRows != 3 || s.CurRows != 2 || s.Numeric != 2 || s.Categ != 1 {
		t.Errorf("summary %+v", s)
	}
	ref := readTable(t, filepath.Join(out, "reference.parquet"))
	if !sameNames(ref.names, []string{"x", "y", "c"}) || ref.rows != 3 {
		t.Fatalf("reference: columns %v, %d rows", ref.names, ref.rows)
	}
	x, y, c := ref.col(t, "x"), ref.col(t, "y"), ref.col(t, "c")
	if x[0].Double() != 1.5 || x[1].Double() != 3.25 || x[2].Double() != 0 {
		t.Errorf("x = %v, want [1.5 3.25 0]", x)
	}
	if !y[0].IsNull() || y[1].Double() != -2 || !math.IsInf(y[2].Double(), 1) {
		t.Errorf("y = %v, want [null -2 +Inf] (NaN is null)", y)
	}
	if c[0].String() != "lo" || !c[1].IsNull() || c[2].String() != "hi" {
		t.Errorf("c = %v, want [lo null hi]", c)
	}
	cur := readTable(t, filepath.Join(out, "current.parquet"))
	if cur.rows != 2 || !cur.col(t, "x")[0].IsNull() || cur.col(t, "y")[1].Double() != 8 || cur.col(t, "c")[1].String() != "new" {
		t.Errorf("current: x %v y %v c %v", cur.col(t, "x"), cur.col(t, "y"), cur.col(t, "c"))
	}
}

func TestNPYToParquet_noCategorical(t *testing.T) {
	dir := t.TempDir()
	writeMeta(t, dir, map[string]any{"numeric": []string{"a"}, "categorical": []string{}, "categories": map[string]any{}})
	writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(2, 1)", f8(1, 2))
	writeNPY(t, filepath.Join(dir, "current_num.npy"), 1, "<f8", "(1,)", f8(3))
	s, err := NPYToParquet(context.Background(), dir, dir, npyOpt)
	if err != nil {
		t.Fatal(err)
	}
	cur := readTable(t, s.Current)
	if !sameNames(cur.names, []string{"a"}) || cur.rows != 1 || cur.col(t, "a")[0].Double() != 3 {
		t.Errorf("current: %v, %d rows", cur.names, cur.rows)
	}
}

func TestNPYToParquet_errors(t *testing.T) {
	meta := map[string]any{"numeric": []string{"a", "b"}, "categorical": []string{"c"},
		"categories": map[string][]string{"c": {"p", "q"}}}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{name: "bad magic", setup: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "reference_num.npy"), []byte("not numpy at all"), 0o644)
		}, want: "bad magic"},
		{name: "column count", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(1, 3)", f8(1, 2, 3))
		}, want: "3 columns, meta.json names 2"},
		{name: "dtype", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, ">f8", "(1, 2)", f8(1, 2))
		}, want: "dtype"},
		{name: "truncated", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(2, 2)", f8(1, 2, 3))
		}, want: "header says"},
		{name: "code out of range", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(1, 2)", f8(1, 2))
			writeNPY(t, filepath.Join(dir, "reference_cat.npy"), 1, "<i4", "(1, 1)", i4(2))
		}, want: "code 2 outside -1..1"},
		{name: "row mismatch", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(1, 2)", f8(1, 2))
			writeNPY(t, filepath.Join(dir, "reference_cat.npy"), 1, "<i4", "(2, 1)", i4(0, 1))
		}, want: "rows"},
		{name: "missing cat file", setup: func(t *testing.T, dir string) {
			writeNPY(t, filepath.Join(dir, "reference_num.npy"), 1, "<f8", "(1, 2)", f8(1, 2))
		}, want: "reference_cat.npy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMeta(t, dir, meta)
			tc.setup(t, dir)
			_, err := NPYToParquet(context.Background(), dir, dir, npyOpt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NPYToParquet = %v, want an error containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "reference.parquet")); err == nil {
				t.Error("a failed conversion left reference.parquet behind")
			}
		})
	}
	if _, err := NPYToParquet(context.Background(), t.TempDir(), t.TempDir(), npyOpt); err == nil {
		t.Error("no meta.json: want an error")
	}
}

// python returns Debian's interpreter if it has numpy, else skips the test.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available: %v", py, err)
	}
	return py
}

// npySummary has, per column of one side, the count and sum of the non-NaN numeric
// values or the count of each label, as computed by numpy from the .npy files.
const npySummaryPy = `
import json, sys, numpy as np
d = sys.argv[1]
meta = json.load(open(d + "/meta.json"))
out = {}
for side in ("reference", "current"):
    num = np.load(d + "/" + side + "_num.npy")
    cat = np.load(d + "/" + side + "_cat.npy")
    s = {"rows": int(num.shape[0])}
    for i, n in enumerate(meta["numeric"]):
        x = num[:, i]
        ok = ~np.isnan(x)
        s[n] = {"count": int(ok.sum()), "sum": float(x[ok].sum())}
    for j, n in enumerate(meta["categorical"]):
        labs = meta["categories"][n]
        codes = cat[:, j]
        s[n] = {labs[k]: int((codes == k).sum()) for k in range(len(labs))}
        s[n]["<null>"] = int((codes == -1).sum())
    out[side] = s
print(json.dumps(out))
`

func compareWithNumpy(t *testing.T, py, dir, out string) {
	t.Helper()
	raw, err := exec.Command(py, "-c", npySummaryPy, dir).Output()
	if err != nil {
		t.Fatalf("numpy summary: %v", err)
	}
	var want map[string]map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"reference", "current"} {
		tb := readTable(t, filepath.Join(out, side+".parquet"))
		w := want[side]
		if rows := int(w["rows"].(float64)); tb.rows != rows {
			t.Errorf("%s: %d rows, numpy %d", side, tb.rows, rows)
		}
		for _, name := range tb.names {
			vals := tb.col(t, name)
			ws, ok := w[name].(map[string]any)
			if !ok {
				t.Errorf("%s: column %s not in meta.json", side, name)
				continue
			}
			if _, numeric := ws["sum"]; numeric {
				n, sum := 0, 0.0
				for _, v := range vals {
					if !v.IsNull() {
						n++
						sum += v.Double()
					}
				}
				wn, wsum := int(ws["count"].(float64)), ws["sum"].(float64)
				if n != wn || math.Abs(sum-wsum) > 1e-9*math.Max(1, math.Abs(wsum)) {
					t.Errorf("%s %s: %d values summing to %v, numpy %d summing to %v", side, name, n, sum, wn, wsum)
				}
				continue
			}
			got := map[string]int{}
			for _, v := range vals {
				if v.IsNull() {
					got["<null>"]++
				} else {
					got[v.String()]++
				}
			}
			for k, c := range ws {
				if got[k] != int(c.(float64)) {
					t.Errorf("%s %s: %q occurs %d times, numpy %v", side, name, k, got[k], c)
				}
			}
		}
	}
}

func TestNPYToParquet_genData(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	cmd := exec.Command(py, "/work/shared/peers/gen_data.py", dir, "--n-ref", "700", "--n-cur", "400",
		"--nan-frac", "0.05", "--mean-shift", "0.25", "--new-cat", "0.05", "--cat-shift", "0.3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("gen_data.py: %v\n%s", err, out)
	}
	out := t.TempDir()
	s, err := NPYToParquet(context.Background(), dir, out, npyOpt)
	if err != nil {
		t.Fatal(err)
	}
	if s.RefRows != 700 || s.CurRows != 400 || s.Numeric != 20 || s.Categ != 5 {
		t.Errorf("summary %+v, want 700/400 rows, 20 numeric, 5 categorical", s)
	}
	compareWithNumpy(t, py, dir, out)
}

func TestNPYToParquet_genDecision(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	cmd := exec.Command(py, "/work/shared/testdata/decision/gen_decision.py", dir, "--sizes", "300")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("gen_decision.py: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "n300")
	s, err := NPYToParquet(context.Background(), src, src, npyOpt)
	if err != nil {
		t.Fatal(err)
	}
	if s.RefRows != 300 || s.CurRows != 150 || s.Numeric != 30 || s.Categ != 4 {
		t.Errorf("summary %+v, want 300/150 rows, 30 numeric, 4 categorical", s)
	}
	compareWithNumpy(t, py, src, src)
}
