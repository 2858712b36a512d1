package htmlreport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// node is a JSON value that keeps the order of object keys, so that report fields
// render in the order their Go types declare them.
type node struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str  string
	num  float64
	b    bool
	keys []string
	vals []*node // object values (by keys) or array elements
	// shown marks a matrix already drawn as a heatmap; generic rendering skips it.
	shown bool
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// number returns the node's number, NaN if it is not one.
func (n *node) number() float64 {
	if n == nil || n.kind != 'n' {
		return math.NaN()
	}
	return n.num
}

// parseJSON decodes b into a node tree.
func parseJSON(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys, n.vals = append(n.keys, k), append(n.vals, v)
			}
			_, err := dec.Token() // }
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // ]
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: 's', str: t}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return &node{kind: 'n', num: f, str: string(t)}, nil
	case bool:
		return &node{kind: 'b', b: t}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// toNode converts any JSON-marshalable value (a report field of any type) to a node.
func toNode(v any) (*node, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return parseJSON(b)
}

func (n *node) scalar() bool { return n != nil && n.kind != 'o' && n.kind != 'a' }

// humanKey turns a snake_case key into words: "label_coverage" → "label coverage".
func humanKey(k string) string { return strings.ReplaceAll(k, "_", " ") }

// scalarText formats a scalar node for a cell.
func scalarText(n *node) string {
	switch n.kind {
	case 's':
		return n.str
	case 'n':
		if n.num == math.Trunc(n.num) && math.Abs(n.num) < 1e15 {
			return fmtInt(int64(n.num))
		}
		return fmtNum(n.num)
	case 'b':
		if n.b {
			return "yes"
		}
		return "no"
	}
	return dash
}

// genericLimits keep generic rendering bounded whatever a field holds.
const (
	maxDepth     = 6
	maxListItems = 60
	maxTableRows = 200
)

// renderGeneric writes n as readable HTML: objects as key/value tables, objects of
// objects as one table (rows: keys, columns: the inner keys), arrays of scalars inline,
// arrays of objects as tables, square matrices as grids. Every string is escaped.
func renderGeneric(n *node) template.HTML {
	var b strings.Builder
	writeGeneric(&b, n, 0)
	return template.HTML(b.String()) // built from escaped text only
}

func esc(b *strings.Builder, s string) { b.WriteString(template.HTMLEscapeString(s)) }

func writeGeneric(b *strings.Builder, n *node, depth int) {
	if n == nil {
		b.WriteString(dash)
		return
	}
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	if n.shown {
		b.WriteString(`<span class="muted">heatmap above</span>`)
		return
	}
	switch n.kind {
	case 'o':
		if len(n.keys) == 0 {
			b.WriteString(dash)
			return
		}
		if cols := innerKeys(n); cols != nil {
			writeTable(b, n.keys, n.vals, cols, depth, true)
			return
		}
		ref, cur := n.get("reference"), n.get("current")
		paired := scalarObject(ref) && scalarObject(cur)
		b.WriteString(`<table class="kv">`)
		for i, k := range n.keys {
			if paired && (k == "reference" || k == "current") {
				if k == "reference" {
					b.WriteString("<tr><th>reference → current</th><td>")
					writeComparison(b, ref, cur)
					b.WriteString("</td></tr>")
				}
				continue
			}
			b.WriteString("<tr><th>")
			esc(b, humanKey(k))
			b.WriteString("</th><td")
			if n.vals[i].kind == 'n' {
				b.WriteString(` class="num"`)
			}
			b.WriteString(">")
			writeGeneric(b, n.vals[i], depth+1)
			b.WriteString("</td></tr>")
		}
		b.WriteString("</table>")
	case 'a':
		if len(n.vals) == 0 {
			b.WriteString(dash)
			return
		}
		if isMatrix(n) {
			writeMatrix(b, n)
			return
		}
		allScalar, allObj := true, true
		for _, v := range n.vals {
			allScalar = allScalar && v.scalar()
			allObj = allObj && v.kind == 'o'
		}
		switch {
		case allScalar:
			for i, v := range n.vals {
				if i == maxListItems {
					fmt.Fprintf(b, ", … (%d more)", len(n.vals)-i)
					break
				}
				if i > 0 {
					b.WriteString(", ")
				}
				esc(b, scalarText(v))
			}
		case allObj:
			var cols []string
			seen := map[string]bool{}
			for _, v := range n.vals {
				for _, k := range v.keys {
					if !seen[k] {
						seen[k] = true
						cols = append(cols, k)
					}
				}
			}
			writeTable(b, nil, n.vals, cols, depth, false)
		default:
			b.WriteString(`<ol class="list">`)
			for i, v := range n.vals {
				if i == maxListItems {
					fmt.Fprintf(b, "<li>… (%d more)</li>", len(n.vals)-i)
					break
				}
				b.WriteString("<li>")
				writeGeneric(b, v, depth+1)
				b.WriteString("</li>")
			}
			b.WriteString("</ol>")
		}
	default:
		esc(b, scalarText(n))
	}
}

// scalarObject reports whether n is a non-empty object of scalars (e.g. metrics).
func scalarObject(n *node) bool {
	if n == nil || n.kind != 'o' || len(n.keys) == 0 {
		return false
	}
	for _, v := range n.vals {
		if !v.scalar() {
			return false
		}
	}
	return true
}

// writeComparison writes two objects of scalars side by side, with the change where both
// are numbers: the reference and current of metrics, for instance.
func writeComparison(b *strings.Builder, ref, cur *node) {
	keys := append([]string(nil), ref.keys...)
	for _, k := range cur.keys {
		if ref.get(k) == nil {
			keys = append(keys, k)
		}
	}
	b.WriteString(`<table class="grid"><thead><tr><th></th><th class="num">reference</th><th class="num">current</th><th class="num">current − reference</th></tr></thead><tbody>`)
	for _, k := range keys {
		r, c := ref.get(k), cur.get(k)
		b.WriteString("<tr><th>")
		esc(b, humanKey(k))
		b.WriteString("</th>")
		for _, v := range []*node{r, c} {
			b.WriteString(`<td class="num">`)
			if v != nil {
				esc(b, scalarText(v))
			}
			b.WriteString("</td>")
		}
		b.WriteString(`<td class="num">`)
		if d := c.number() - r.number(); !math.IsNaN(d) {
			if d > 0 {
				b.WriteString("+")
			}
			esc(b, fmtNum(d))
		}
		b.WriteString("</td></tr>")
	}
	b.WriteString("</tbody></table>")
}

// innerKeys returns the union of inner keys when n is an object of at least two objects
// whose values are scalars (a table such as metrics × {reference, current}); else nil.
func innerKeys(n *node) []string {
	if len(n.vals) < 2 {
		return nil
	}
	var cols []string
	seen := map[string]bool{}
	for _, v := range n.vals {
		if v.kind != 'o' || len(v.keys) == 0 || len(v.keys) > 12 {
			return nil
		}
		for i, k := range v.keys {
			if !v.vals[i].scalar() {
				return nil
			}
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	return cols
}

func writeTable(b *strings.Builder, rowKeys []string, rows []*node, cols []string, depth int, keyed bool) {
	b.WriteString(`<table class="grid"><thead><tr>`)
	if keyed {
		b.WriteString("<th></th>")
	}
	for _, c := range cols {
		b.WriteString("<th>")
		esc(b, humanKey(c))
		b.WriteString("</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for i, r := range rows {
		if i == maxTableRows {
			fmt.Fprintf(b, `<tr><td colspan="%d">… (%d more rows)</td></tr>`, len(cols)+1, len(rows)-i)
			break
		}
		b.WriteString("<tr>")
		if keyed {
			b.WriteString("<th>")
			esc(b, humanKey(rowKeys[i]))
			b.WriteString("</th>")
		}
		for _, c := range cols {
			v := r.get(c)
			if v != nil && v.kind == 'n' {
				b.WriteString(`<td class="num">`)
			} else {
				b.WriteString("<td>")
			}
			if v == nil {
				b.WriteString("")
			} else {
				writeGeneric(b, v, depth+1)
			}
			b.WriteString("</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
}

// isMatrix reports whether n is a non-empty array of equally long arrays of numbers/nulls.
func isMatrix(n *node) bool {
	if n.kind != 'a' || len(n.vals) == 0 {
		return false
	}
	w := -1
	for _, r := range n.vals {
		if r.kind != 'a' || len(r.vals) == 0 || (w >= 0 && len(r.vals) != w) {
			return false
		}
		w = len(r.vals)
		for _, v := range r.vals {
			if v.kind != 'n' && v.kind != 'z' {
				return false
			}
		}
	}
	return true
}

func writeMatrix(b *strings.Builder, n *node) {
	if len(n.vals) > 40 || len(n.vals[0].vals) > 40 {
		fmt.Fprintf(b, "%d × %d matrix", len(n.vals), len(n.vals[0].vals))
		return
	}
	b.WriteString(`<table class="matrix">`)
	for _, r := range n.vals {
		b.WriteString("<tr>")
		for _, v := range r.vals {
			b.WriteString(`<td class="num">`)
			esc(b, scalarText(v))
			b.WriteString("</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
}

// matrixOf returns n as a float matrix (null → NaN) when it is one.
func matrixOf(n *node) [][]float64 {
	if n == nil || !isMatrix(n) {
		return nil
	}
	out := make([][]float64, len(n.vals))
	for i, r := range n.vals {
		out[i] = make([]float64, len(r.vals))
		for j, v := range r.vals {
			out[i][j] = v.number()
		}
	}
	return out
}

func stringsOf(n *node) []string {
	if n == nil || n.kind != 'a' {
		return nil
	}
	out := make([]string, 0, len(n.vals))
	for _, v := range n.vals {
		if v.kind != 's' {
			return nil
		}
		out = append(out, v.str)
	}
	return out
}

// maxHeatmapColumns bounds the heatmaps (cells grow with its square).
const maxHeatmapColumns = 120

// heatmapGroup is one set of correlation matrices over the same columns.
type heatmapGroup struct {
	Name  string
	Plots []template.HTML
	Notes []string
}

// findHeatmaps walks a correlations field and returns every object that holds square
// matrices named reference, current or diff/change/delta over a "columns" list (its own
// or its parent's), e.g. {columns, pearson: {reference, current, diff}, spearman: {…}}.
// The change is computed as current − reference when not given.
func findHeatmaps(n *node) []heatmapGroup {
	var out []heatmapGroup
	var walk func(n *node, name string, cols []string, depth int)
	walk = func(n *node, name string, cols []string, depth int) {
		if n == nil || n.kind != 'o' || depth > 4 {
			return
		}
		if c := stringsOf(n.get("columns")); c != nil {
			cols = c
		}
		if cols != nil {
			ref, cur := matrixOf(n.get("reference")), matrixOf(n.get("current"))
			var diff [][]float64
			for _, k := range []string{"diff", "change", "delta"} {
				if diff = matrixOf(n.get(k)); diff != nil {
					break
				}
			}
			square := func(m [][]float64) bool { return m != nil && len(m) == len(cols) && len(m[0]) == len(cols) }
			if square(ref) || square(cur) {
				if diff == nil && square(ref) && square(cur) {
					diff = make([][]float64, len(ref))
					for i := range ref {
						diff[i] = make([]float64, len(ref))
						for j := range ref {
							diff[i][j] = cur[i][j] - ref[i][j]
						}
					}
				}
				for _, k := range []string{"reference", "current", "diff", "change", "delta"} {
					if v := n.get(k); v != nil && isMatrix(v) {
						v.shown = true
					}
				}
				g := heatmapGroup{Name: name}
				if len(cols) > maxHeatmapColumns {
					g.Notes = append(g.Notes, fmt.Sprintf("%d columns: too many to draw (at most %d)", len(cols), maxHeatmapColumns))
					ref, cur, diff = nil, nil, nil
					for _, k := range []string{"reference", "current", "diff", "change", "delta"} {
						if v := n.get(k); v != nil {
							v.shown = false
						}
					}
				}
				if square(ref) {
					g.Plots = append(g.Plots, heatmapSVG(humanKey(name)+" · reference", cols, ref, 1))
				}
				if square(cur) {
					g.Plots = append(g.Plots, heatmapSVG(humanKey(name)+" · current", cols, cur, 1))
				}
				if square(diff) {
					g.Plots = append(g.Plots, heatmapSVG(humanKey(name)+" · change (current − reference)", cols, diff, 0.5))
				}
				for _, k := range []string{"max_abs_diff", "max_abs_pair", "frobenius", "drifted"} {
					if v := n.get(k); v != nil {
						g.Notes = append(g.Notes, humanKey(k)+": "+textOnly(v))
					}
				}
				out = append(out, g)
				return
			}
		}
		for i, k := range n.keys {
			walk(n.vals[i], k, cols, depth+1)
		}
	}
	walk(n, "correlations", nil, 0)
	return out
}

// textOnly is a short plain-text form of a node (the template escapes it).
func textOnly(n *node) string {
	switch {
	case n == nil:
		return dash
	case n.scalar():
		return scalarText(n)
	case n.kind == 'a':
		var parts []string
		for i, v := range n.vals {
			if i == 10 {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, textOnly(v))
		}
		return strings.Join(parts, " × ")
	}
	var parts []string
	for i, k := range n.keys {
		parts = append(parts, humanKey(k)+" "+textOnly(n.vals[i]))
	}
	return strings.Join(parts, ", ")
}

func jsonStrings(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonMatrix writes m with 3 decimals, NaN as null.
func jsonMatrix(m [][]float64) string {
	var b []byte
	b = append(b, '[')
	for i, r := range m {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range r {
			if j > 0 {
				b = append(b, ',')
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b = append(b, "null"...)
				continue
			}
			b = strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
		}
		b = append(b, ']')
	}
	return string(append(b, ']'))
}
