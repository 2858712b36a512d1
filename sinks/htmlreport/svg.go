package htmlreport

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// svgBuf builds SVG markup. Text and attribute values taken from data go through text
// and attr, which escape them (html/template's HTMLEscapeString); numbers through num.
// raw is for constant markup only.
type svgBuf struct{ b []byte }

func (s *svgBuf) raw(str string) *svgBuf { s.b = append(s.b, str...); return s }

// num writes x rounded to 0.1 (coordinates).
func (s *svgBuf) num(x float64) *svgBuf {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		x = 0
	}
	s.b = strconv.AppendFloat(s.b, math.Round(x*10)/10, 'f', -1, 64)
	return s
}

// text writes str escaped for an element's content or an attribute value.
func (s *svgBuf) text(str string) *svgBuf {
	s.b = append(s.b, template.HTMLEscapeString(str)...)
	return s
}

// attr writes ` name="value"` with value escaped.
func (s *svgBuf) attr(name, value string) *svgBuf {
	return s.raw(" ").raw(name).raw(`="`).text(value).raw(`"`)
}

// numAttr writes ` name="x"`.
func (s *svgBuf) numAttr(name string, x float64) *svgBuf {
	return s.raw(" ").raw(name).raw(`="`).num(x).raw(`"`)
}

// rect writes a rectangle path segment (for one <path> holding many bars).
func (s *svgBuf) rectPath(x, y, w, h float64) *svgBuf {
	return s.raw("M").num(x).raw(" ").num(y).raw("h").num(w).raw("v").num(h).raw("h").num(-w).raw("z")
}

// textAt writes <text x y class>str</text>.
func (s *svgBuf) textAt(x, y float64, class, str string) *svgBuf {
	s.raw("<text").numAttr("x", x).numAttr("y", y)
	if class != "" {
		s.attr("class", class)
	}
	return s.raw(">").text(str).raw("</text>")
}

func (s *svgBuf) open(w, h float64, class, label string) *svgBuf {
	s.raw(`<svg xmlns="http://www.w3.org/2000/svg"`).raw(` viewBox="0 0 `).num(w).raw(" ").num(h).raw(`"`).
		numAttr("width", w).numAttr("height", h).attr("class", class).attr("role", "img").attr("aria-label", label)
	return s.raw(">")
}

func (s *svgBuf) html() template.HTML { return template.HTML(s.b) } // every piece was escaped on the way in

// ellipsis shortens s to at most n runes.
func ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// niceTicks returns about n round values covering [lo, hi] and their step.
func niceTicks(lo, hi float64, n int) ([]float64, float64) {
	if !(hi > lo) {
		return []float64{lo}, 1
	}
	raw := (hi - lo) / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
		if len(out) > 2*n+2 {
			break
		}
	}
	return out, step
}

// dateTicks returns ticks at whole days (or hours) for a datetime axis in Unix seconds.
func dateTicks(lo, hi float64, n int) ([]float64, float64) {
	span := hi - lo
	var step float64
	for _, s := range []float64{60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400} {
		step = s
		if span/s <= float64(n) {
			break
		}
	}
	if span/step > float64(n) {
		return niceTicks(lo, hi, n)
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, v)
	}
	return out, step
}

// Colours of the two sides, shared with the CSS legend.
const (
	colRef     = "#4c78a8"
	colCur     = "#f58518"
	colDrift   = "#c62828"
	colOK      = "#2e7d32"
	colGrid    = "#e3e6ea"
	colAxis    = "#6b7280"
	colOther   = "#9aa0a6"
	plotWidth  = 460.0
	plotHeight = 230.0
)

// frame is a plot area inside margins.
type frame struct {
	w, h                     float64
	left, right, top, bottom float64
}

func (f frame) x0() float64 { return f.left }
func (f frame) x1() float64 { return f.w - f.right }
func (f frame) y0() float64 { return f.h - f.bottom } // bottom of the plot area
func (f frame) y1() float64 { return f.top }

// yAxis draws horizontal grid lines with percentage labels for shares in [0, ymax].
func (s *svgBuf) yAxisPct(f frame, ymax float64) {
	ticks, _ := niceTicks(0, ymax, 4)
	s.raw(`<g class="grid">`)
	for _, t := range ticks {
		y := f.y0() - t/ymax*(f.y0()-f.y1())
		s.raw("<line").numAttr("x1", f.x0()).numAttr("x2", f.x1()).numAttr("y1", y).numAttr("y2", y).raw("/>")
	}
	s.raw(`</g><g class="tick" text-anchor="end">`)
	for _, t := range ticks {
		y := f.y0() - t/ymax*(f.y0()-f.y1())
		s.textAt(f.x0()-5, y+4, "", fmtPct(t))
	}
	s.raw("</g>")
}

// legend draws the reference/current legend at the top right.
func (s *svgBuf) legend(f frame, curLine bool) {
	x := f.x1() - 160
	s.raw(`<g class="legend">`)
	s.raw("<rect").numAttr("x", x).numAttr("y", 2).raw(` width="12" height="10" fill="` + colRef + `" fill-opacity=".55"/>`)
	s.textAt(x+16, 11, "", "reference")
	if curLine {
		s.raw("<path").attr("d", "M"+strconv.FormatFloat(x+84, 'f', 1, 64)+" 7h14").raw(` stroke="` + colCur + `" stroke-width="2.5"/>`)
	} else {
		s.raw("<rect").numAttr("x", x+84).numAttr("y", 2).raw(` width="12" height="10" fill="` + colCur + `" fill-opacity=".8"/>`)
	}
	s.textAt(x+102, 11, "", "current")
	s.raw("</g>")
}

func sum64(x []int64) int64 {
	var s int64
	for _, v := range x {
		s += v
	}
	return s
}

func shares(counts []int64, other int64) ([]float64, float64) {
	n := float64(sum64(counts) + other)
	out := make([]float64, len(counts))
	if n == 0 {
		return out, 0
	}
	for i, c := range counts {
		out[i] = float64(c) / n
	}
	return out, float64(other) / n
}

// joinClass joins non-empty class names.
func joinClass(c ...string) string {
	var out []string
	for _, s := range c {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
