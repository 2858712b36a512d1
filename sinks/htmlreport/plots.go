package htmlreport

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// niceCeil returns a round number at least x (x > 0): 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k.
func niceCeil(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= x*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// binLabel describes bin i of edges: [a, b) or, for the last, [a, b].
func binLabel(edges []float64, i int, datetime bool) string {
	close := ")"
	if i == len(edges)-2 {
		close = "]"
	}
	f := func(x float64) string {
		if datetime {
			return fmtTime(time.Unix(int64(math.Floor(x)), 0))
		}
		return fmtNum(x)
	}
	return "[" + f(edges[i]) + ", " + f(edges[i+1]) + close
}

// numericHist is the input of the numeric plots: shared edges, per-side counts (nil: the
// side has no values).
type numericHist struct {
	edges    []float64
	ref, cur []int64
	datetime bool
}

func (h numericHist) valid() bool {
	if len(h.edges) < 2 || (h.ref == nil && h.cur == nil) {
		return false
	}
	for _, e := range h.edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return false
		}
	}
	for _, c := range [][]int64{h.ref, h.cur} {
		if c != nil && len(c) != len(h.edges)-1 {
			return false
		}
	}
	return true
}

// layout returns the regular bins [r0, r1), the x range and whether each tail is drawn.
func (h numericHist) layout() (r0, r1 int, xlo, xhi float64, low, high bool) {
	n := len(h.edges) - 1
	r0, r1 = 0, n
	if n >= 3 {
		r0, r1 = 1, n-1
		at := func(i int) bool {
			return (h.ref != nil && h.ref[i] > 0) || (h.cur != nil && h.cur[i] > 0)
		}
		low, high = at(0), at(n-1)
	}
	xlo, xhi = h.edges[r0], h.edges[r1]
	if xlo == xhi {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	return r0, r1, xlo, xhi, low, high
}

const tailSlot = 30.0 // width of a tail bar and its gap

// xAxis draws ticks and labels under the plot between pixel columns ix0 and ix1.
func (s *svgBuf) xAxis(f frame, ix0, ix1, xlo, xhi float64, datetime bool) {
	var ticks []float64
	var step float64
	if datetime {
		ticks, step = dateTicks(xlo, xhi, 5)
	} else {
		ticks, step = niceTicks(xlo, xhi, 6)
	}
	s.raw(`<g class="tick" text-anchor="middle">`)
	for _, t := range ticks {
		if t < xlo || t > xhi {
			continue
		}
		x := ix0 + (t-xlo)/(xhi-xlo)*(ix1-ix0)
		s.raw("<line").numAttr("x1", x).numAttr("x2", x).numAttr("y1", f.y0()).numAttr("y2", f.y0()+4).raw(` stroke="` + colAxis + `"/>`)
		s.textAt(x, f.y0()+16, "", fmtTick(t, datetime, step))
	}
	s.raw("</g>")
	s.raw("<line").numAttr("x1", f.x0()).numAttr("x2", f.x1()).numAttr("y1", f.y0()).numAttr("y2", f.y0()).raw(` stroke="` + colAxis + `"/>`)
}

// histogramSVG draws the reference histogram as bars and the current one as an outline,
// both as shares of their side's non-missing values, on the shared edges; tail bins (values
// beyond the 1st–99th percentile range) stand apart at the sides.
func histogramSVG(h numericHist) template.HTML {
	if !h.valid() {
		return ""
	}
	f := frame{w: plotWidth, h: plotHeight, left: 50, right: 14, top: 22, bottom: 40}
	r0, r1, xlo, xhi, low, high := h.layout()
	ix0, ix1 := f.x0()+6, f.x1()-6
	if low {
		ix0 += tailSlot
	}
	if high {
		ix1 -= tailSlot
	}
	var rs, cs []float64
	if h.ref != nil {
		rs, _ = shares(h.ref, 0)
	}
	if h.cur != nil {
		cs, _ = shares(h.cur, 0)
	}
	ymax := 0.0
	for _, sh := range [][]float64{rs, cs} {
		for _, v := range sh {
			ymax = math.Max(ymax, v)
		}
	}
	ymax = niceCeil(ymax)
	px := func(v float64) float64 { return ix0 + (v-xlo)/(xhi-xlo)*(ix1-ix0) }
	py := func(v float64) float64 { return f.y0() - v/ymax*(f.y0()-f.y1()) }
	// bin i spans pixels [a, b]
	span := func(i int) (float64, float64) {
		switch {
		case r1-r0 == 1 && h.edges[i] == h.edges[i+1]:
			return ix0 + (ix1-ix0)*0.3, ix0 + (ix1-ix0)*0.7
		case low && i == 0:
			return f.x0() + 2, f.x0() + tailSlot - 4
		case high && i == len(h.edges)-2:
			return f.x1() - tailSlot + 4, f.x1() - 2
		}
		return px(h.edges[i]), px(h.edges[i+1])
	}
	bins := make([]int, 0, len(h.edges))
	if low {
		bins = append(bins, 0)
	}
	for i := r0; i < r1; i++ {
		bins = append(bins, i)
	}
	if high {
		bins = append(bins, len(h.edges)-2)
	}

	var s svgBuf
	s.open(f.w, f.h, "plot", "histogram of reference and current")
	s.yAxisPct(f, ymax)
	if rs != nil {
		s.raw(`<path fill="` + colRef + `" fill-opacity=".5" d="`)
		for _, i := range bins {
			if rs[i] > 0 {
				a, b := span(i)
				s.rectPath(a, py(rs[i]), math.Max(b-a, 1), f.y0()-py(rs[i]))
			}
		}
		s.raw(`"/>`)
	}
	if cs != nil {
		// One outline per contiguous run of bins (tails are drawn on their own).
		s.raw(`<path fill="` + colCur + `" fill-opacity=".12" stroke="` + colCur + `" stroke-width="2" stroke-linejoin="round" d="`)
		prevB := math.NaN()
		for k, i := range bins {
			a, b := span(i)
			y := py(cs[i])
			if a != prevB { // start a new run
				if k > 0 {
					s.raw("V").num(f.y0())
				}
				s.raw("M").num(a).raw(" ").num(f.y0())
			}
			s.raw("V").num(y).raw("H").num(b)
			prevB = b
		}
		s.raw("V").num(f.y0()).raw(`"/>`)
	}
	s.xAxis(f, ix0, ix1, xlo, xhi, h.datetime)
	if low {
		a, b := span(0)
		s.raw(`<g class="tick" text-anchor="middle">`).textAt((a+b)/2, f.y0()+16, "", "<"+fmtTick(h.edges[1], h.datetime, 86400)).raw("</g>")
	}
	if high {
		a, b := span(len(h.edges) - 2)
		s.raw(`<g class="tick" text-anchor="middle">`).textAt((a+b)/2, f.y0()+30, "", ">"+fmtTick(h.edges[len(h.edges)-2], h.datetime, 86400)).raw("</g>")
	}
	// Hover targets with the exact numbers.
	s.raw(`<g class="hover">`)
	for _, i := range bins {
		a, b := span(i)
		s.raw("<rect").numAttr("x", a).numAttr("y", f.y1()).numAttr("width", math.Max(b-a, 1)).numAttr("height", f.y0()-f.y1()).raw("><title>")
		s.text(binLabel(h.edges, i, h.datetime))
		if h.ref != nil {
			s.text("\nreference " + fmtPct(rs[i]) + " (" + fmtInt(h.ref[i]) + ")")
		}
		if h.cur != nil {
			s.text("\ncurrent " + fmtPct(cs[i]) + " (" + fmtInt(h.cur[i]) + ")")
		}
		s.raw("</title></rect>")
	}
	s.raw("</g>")
	s.legend(f, true)
	s.raw("</svg>")
	return s.html()
}

// ecdfSVG draws both empirical CDFs at the histogram's bin edges and marks their largest
// vertical gap there (for KS, whose statistic D is the largest gap over all values).
func ecdfSVG(h numericHist, d float64) template.HTML {
	if !h.valid() || h.ref == nil || h.cur == nil || len(h.edges) < 4 {
		return ""
	}
	f := frame{w: plotWidth, h: plotHeight, left: 50, right: 14, top: 22, bottom: 40}
	_, _, xlo, xhi, _, _ := h.layout()
	ix0, ix1 := f.x0()+6, f.x1()-6
	px := func(v float64) float64 { return ix0 + (v-xlo)/(xhi-xlo)*(ix1-ix0) }
	py := func(v float64) float64 { return f.y0() - v*(f.y0()-f.y1()) }
	n := len(h.edges) - 1
	cum := func(c []int64) []float64 {
		total := float64(sum64(c))
		out := make([]float64, n) // F at edges[1..n-1] (the regular edges)
		var acc int64
		for i := 0; i < n; i++ {
			acc += c[i]
			out[i] = float64(acc) / total
		}
		return out
	}
	fr, fc := cum(h.ref), cum(h.cur)
	gapAt, gap := 0, -1.0
	for i := 0; i < n-1; i++ {
		if g := math.Abs(fr[i] - fc[i]); g > gap {
			gapAt, gap = i, g
		}
	}
	var s svgBuf
	s.open(f.w, f.h, "plot", "empirical CDFs of reference and current")
	s.yAxisPct(f, 1)
	for _, side := range []struct {
		f   []float64
		col string
	}{{fr, colRef}, {fc, colCur}} {
		s.raw(`<path fill="none" stroke-width="2" stroke="` + side.col + `" d="M`).num(px(h.edges[1])).raw(" ").num(py(side.f[0]))
		for i := 1; i < n-1; i++ {
			s.raw("L").num(px(h.edges[i+1])).raw(" ").num(py(side.f[i]))
		}
		s.raw(`"/>`)
	}
	x := px(h.edges[gapAt+1])
	s.raw(`<path stroke="` + colDrift + `" stroke-width="1.5" stroke-dasharray="4 3" d="M`).num(x).raw(" ").num(py(fr[gapAt])).raw("V").num(py(fc[gapAt])).raw(`"/>`)
	label := "largest gap at the bin edges: " + fmtNum(gap)
	if !math.IsNaN(d) {
		label += " · KS D = " + fmtNum(d)
	}
	s.textAt(f.x0()+4, f.y1()+10, "note", label)
	s.xAxis(f, ix0, ix1, xlo, xhi, h.datetime)
	s.raw(`<g class="legend">`)
	s.raw("<path").attr("d", "M"+strconv.FormatFloat(f.x1()-160, 'f', 1, 64)+" 7h14").raw(` stroke="` + colRef + `" stroke-width="2.5"/>`)
	s.textAt(f.x1()-142, 11, "", "reference")
	s.raw("<path").attr("d", "M"+strconv.FormatFloat(f.x1()-76, 'f', 1, 64)+" 7h14").raw(` stroke="` + colCur + `" stroke-width="2.5"/>`)
	s.textAt(f.x1()-58, 11, "", "current")
	s.raw("</g></svg>")
	return s.html()
}

// categoryHist is the input of the category bars: labels shared by both sides, counts per
// side (nil: the side has no values) and the rest as other.
type categoryHist struct {
	labels             []string
	ref, cur           []int64
	refOther, curOther int64
}

// barsSVG draws, per category, the reference share above the current share; categories
// the reference never had are marked "new", those gone from the current "gone".
func barsSVG(h categoryHist) template.HTML {
	if len(h.labels) == 0 || (h.ref != nil && len(h.ref) != len(h.labels)) || (h.cur != nil && len(h.cur) != len(h.labels)) {
		return ""
	}
	type bar struct {
		label    string
		r, c     float64
		rn, cn   int64
		class    string // "", "unseen", "gone", "other"
		hasR, hC bool
	}
	var rs, cs []float64
	var ro, co float64
	if h.ref != nil {
		rs, ro = shares(h.ref, h.refOther)
	}
	if h.cur != nil {
		cs, co = shares(h.cur, h.curOther)
	}
	bars := make([]bar, 0, len(h.labels)+1)
	for i, l := range h.labels {
		b := bar{label: l}
		if rs != nil {
			b.r, b.rn, b.hasR = rs[i], h.ref[i], true
		}
		if cs != nil {
			b.c, b.cn, b.hC = cs[i], h.cur[i], true
		}
		switch {
		case b.hasR && b.hC && b.rn == 0 && b.cn > 0:
			b.class = "unseen"
		case b.hasR && b.hC && b.cn == 0 && b.rn > 0:
			b.class = "gone"
		}
		bars = append(bars, b)
	}
	if h.refOther > 0 || h.curOther > 0 {
		bars = append(bars, bar{label: "other", r: ro, c: co, rn: h.refOther, cn: h.curOther, class: "other", hasR: rs != nil, hC: cs != nil})
	}
	maxShare := 0.0
	for _, b := range bars {
		maxShare = math.Max(maxShare, math.Max(b.r, b.c))
	}
	if maxShare == 0 {
		maxShare = 1
	}
	const rowH, labelW, valueW = 26.0, 168.0, 128.0
	f := frame{w: plotWidth, h: 24 + rowH*float64(len(bars)) + 6, left: labelW, right: valueW, top: 24}
	barW := f.x1() - f.x0()
	var s svgBuf
	s.open(f.w, f.h, "plot bars", "category shares of reference and current")
	s.legend(frame{w: plotWidth, right: 14}, false)
	for k, b := range bars {
		y := f.top + rowH*float64(k)
		label, lclass := b.label, ""
		switch {
		case b.class == "other":
			lclass = "other"
		case label == "":
			label, lclass = "(empty string)", "other"
		}
		if b.class == "unseen" || b.class == "gone" {
			lclass = b.class
		}
		s.raw("<g><title>").text(b.label)
		if b.class == "other" {
			s.text(" (every category not listed)")
		}
		if b.hasR {
			s.text("\nreference " + fmtPct(b.r) + " (" + fmtInt(b.rn) + ")")
		}
		if b.hC {
			s.text("\ncurrent " + fmtPct(b.c) + " (" + fmtInt(b.cn) + ")")
		}
		switch b.class {
		case "unseen":
			s.text("\nnot in the reference")
		case "gone":
			s.text("\nnot in the current data")
		}
		s.raw("</title>")
		s.raw(`<rect class="row"`).numAttr("x", 0).numAttr("y", y).numAttr("width", f.w).numAttr("height", rowH).raw("/>")
		s.raw(`<text text-anchor="end"`).numAttr("x", labelW-8).numAttr("y", y+17).attr("class", joinClass("label", lclass)).raw(">").text(ellipsis(label, 26)).raw("</text>")
		rc, cc := colRef, colCur
		if b.class == "other" {
			rc, cc = colOther, "#c4c8cc"
		}
		if b.hasR {
			s.raw("<rect").numAttr("x", f.x0()).numAttr("y", y+4).numAttr("width", math.Max(b.r/maxShare*barW, 0.5)).raw(` height="8" fill="` + rc + `"/>`)
		}
		if b.hC {
			s.raw("<rect").numAttr("x", f.x0()).numAttr("y", y+13).numAttr("width", math.Max(b.c/maxShare*barW, 0.5)).raw(` height="8" fill="` + cc + `"/>`)
		}
		val := fmtPct(b.r) + " → " + fmtPct(b.c)
		switch {
		case !b.hasR:
			val = "current " + fmtPct(b.c)
		case !b.hC:
			val = "reference " + fmtPct(b.r)
		}
		s.textAt(f.x1()+8, y+17, "value", val)
		if b.class == "unseen" {
			s.raw(`<text class="tag unseen"`).numAttr("x", f.w-4).numAttr("y", y+17).raw(` text-anchor="end">new</text>`)
		} else if b.class == "gone" {
			s.raw(`<text class="tag gone"`).numAttr("x", f.w-4).numAttr("y", y+17).raw(` text-anchor="end">gone</text>`)
		}
		s.raw("</g>")
	}
	s.raw("</svg>")
	return s.html()
}

// missingSVG draws the missing share of both sides on a 0–100% scale.
func missingSVG(ref, cur float64) template.HTML {
	const w, h, x0, barW = 400.0, 46.0, 128.0, 200.0
	var s svgBuf
	s.open(w, h, "plot missing", "missing share of reference and current")
	for k, side := range []struct {
		name string
		v    float64
		col  string
	}{{"missing · reference", ref, colRef}, {"missing · current", cur, colCur}} {
		y := 4 + 20*float64(k)
		s.raw(`<text class="label" text-anchor="end"`).numAttr("x", x0-8).numAttr("y", y+11).raw(">").text(side.name).raw("</text>")
		s.raw(`<rect fill="`+colGrid+`"`).numAttr("x", x0).numAttr("y", y+2).numAttr("width", barW).raw(` height="10"/>`)
		if v := side.v; v > 0 && !math.IsNaN(v) {
			s.raw(`<rect fill="`+side.col+`"`).numAttr("x", x0).numAttr("y", y+2).numAttr("width", math.Max(math.Min(v, 1)*barW, 1)).raw(` height="10"/>`)
		}
		s.textAt(x0+barW+8, y+11, "value", fmtPct(side.v))
	}
	s.raw("</svg>")
	return s.html()
}

// trendPoint is one run on a trend line.
type trendPoint struct {
	label   string  // the run's logical time (or id)
	y       float64 // the plotted value
	text    string  // the tooltip's value
	drifted bool
}

// sparklineSVG draws a column's score relative to its threshold over the runs: y is
// log10(score/threshold) for distances and log10(threshold/p) for p-values, clamped to
// ±3, so that above the dashed line is drift whatever the method.
func sparklineSVG(pts []trendPoint) template.HTML {
	if len(pts) < 2 {
		return ""
	}
	const w, h, pad = 120.0, 28.0, 4.0
	py := func(v float64) float64 {
		v = math.Max(-3, math.Min(3, v))
		if math.IsNaN(v) {
			v = -3
		}
		return h/2 - v/3*(h/2-pad)
	}
	px := func(i int) float64 { return pad + float64(i)/float64(len(pts)-1)*(w-2*pad) }
	var s svgBuf
	s.open(w, h, "spark", "score over the last runs")
	s.raw(`<path stroke="` + colAxis + `" stroke-dasharray="2 2" d="M0 `).num(h / 2).raw("H").num(w).raw(`"/>`)
	s.series(pts, px, py, "#555", "1.2", func(i int) float64 {
		if i == len(pts)-1 {
			return 3
		}
		return 2
	})
	s.raw("</svg>")
	return s.html()
}

// series draws pts as a line through (px(i), py(y)) with a dot per point (drifted
// points in the drift colour, each titled with its label and text), dot i of radius r(i).
func (s *svgBuf) series(pts []trendPoint, px func(int) float64, py func(float64) float64, stroke, width string, r func(int) float64) {
	s.raw(`<path fill="none" stroke="` + stroke + `" stroke-width="` + width + `" d="`)
	for i, p := range pts {
		if i == 0 {
			s.raw("M")
		} else {
			s.raw("L")
		}
		s.num(px(i)).raw(" ").num(py(p.y))
	}
	s.raw(`"/>`)
	for i, p := range pts {
		col := colOK
		if p.drifted {
			col = colDrift
		}
		s.raw(`<circle fill="`+col+`"`).numAttr("cx", px(i)).numAttr("cy", py(p.y)).numAttr("r", r(i)).raw("><title>").text(p.label + ": " + p.text).raw("</title></circle>")
	}
}

// trendSVG draws the dataset's drifted share over the runs against its threshold.
func trendSVG(pts []trendPoint, threshold float64) template.HTML {
	if len(pts) < 2 {
		return ""
	}
	f := frame{w: plotWidth, h: 150, left: 50, right: 14, top: 14, bottom: 30}
	px := func(i int) float64 { return f.x0() + 8 + float64(i)/float64(len(pts)-1)*(f.x1()-f.x0()-16) }
	py := func(v float64) float64 { return f.y0() - math.Max(0, math.Min(1, v))*(f.y0()-f.y1()) }
	var s svgBuf
	s.open(f.w, f.h, "plot", "share of drifted columns over the last runs")
	s.yAxisPct(f, 1)
	if !math.IsNaN(threshold) {
		s.raw(`<path stroke="` + colDrift + `" stroke-dasharray="5 4" d="M`).num(f.x0()).raw(" ").num(py(threshold)).raw("H").num(f.x1()).raw(`"/>`)
	}
	s.series(pts, px, py, "#444", "1.8", func(int) float64 { return 4 })
	s.raw(`<g class="tick">`)
	s.raw(`<text text-anchor="start"`).numAttr("x", px(0)-4).numAttr("y", f.y0()+18).raw(">").text(pts[0].label).raw("</text>")
	s.raw(`<text text-anchor="end"`).numAttr("x", px(len(pts)-1)+4).numAttr("y", f.y0()+18).raw(">").text(pts[len(pts)-1].label).raw("</text>")
	s.raw("</g></svg>")
	return s.html()
}

// heatColor maps v in [-1, 1] to one of 21 diverging colours (blue, white, red).
func heatColor(level int) string {
	// level in [-10, 10]
	lo := [3]float64{0x21, 0x66, 0xac}
	mid := [3]float64{0xf7, 0xf7, 0xf7}
	hi := [3]float64{0xb2, 0x18, 0x2b}
	t := math.Abs(float64(level)) / 10
	end := hi
	if level < 0 {
		end = lo
	}
	var b strings.Builder
	b.WriteByte('#')
	for k := 0; k < 3; k++ {
		c := int(math.Round(mid[k] + (end[k]-mid[k])*t))
		b.WriteString(strconv.FormatInt(int64(0x100+c), 16)[1:])
	}
	return b.String()
}

// heatmapSVG draws the lower triangle of a square matrix with a diverging colour scale
// over [-scale, scale]. Values are in data attributes for the hover tooltip (script.js).
func heatmapSVG(title string, cols []string, m [][]float64, scale float64) template.HTML {
	n := len(cols)
	if n == 0 || len(m) != n {
		return ""
	}
	for _, row := range m {
		if len(row) != n {
			return ""
		}
	}
	// Three heatmaps fit side by side in the page's 1280 px: 400 px each at most.
	grid := 370.0
	if 270/float64(n) >= 9 {
		grid = 270 // room for the labels
	}
	cell := math.Max(4, math.Min(28, grid/float64(n)))
	labels := cell >= 9
	labelW, labelH := 8.0, 8.0
	if labels {
		labelW, labelH = 110, 80
	}
	top := 30.0
	w := labelW + cell*float64(n) + 16
	h := top + cell*float64(n) + labelH + 40
	w = math.Max(w, labelW+21*8+80) // room for the colour scale, right-aligned under the grid
	var s svgBuf
	s.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="heat"`).raw(` viewBox="0 0 `).num(w).raw(" ").num(h).raw(`"`).numAttr("width", w).numAttr("height", h)
	s.attr("role", "img").attr("aria-label", title)
	s.numAttr("data-x0", labelW).numAttr("data-y0", top).numAttr("data-cell", cell)
	s.attr("data-cols", jsonStrings(cols)).attr("data-m", jsonMatrix(m)).raw(">")
	s.textAt(0, 16, "htitle", title)
	paths := map[int]*svgBuf{}
	var missing svgBuf
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			x, y := labelW+cell*float64(j), top+cell*float64(i)
			v := m[i][j]
			if math.IsNaN(v) {
				missing.rectPath(x, y, cell-0.5, cell-0.5)
				continue
			}
			lv := int(math.Round(math.Max(-1, math.Min(1, v/scale)) * 10))
			p := paths[lv]
			if p == nil {
				p = &svgBuf{}
				paths[lv] = p
			}
			p.rectPath(x, y, cell-0.5, cell-0.5)
		}
	}
	for lv := -10; lv <= 10; lv++ {
		if p := paths[lv]; p != nil {
			s.raw(`<path fill="` + heatColor(lv) + `" d="`).raw(string(p.b)).raw(`"/>`)
		}
	}
	if len(missing.b) > 0 {
		s.raw(`<path fill="#cfd3d8" d="`).raw(string(missing.b)).raw(`"/>`)
	}
	if labels {
		s.raw(`<g class="tick">`)
		for i, c := range cols {
			y := top + cell*float64(i) + cell/2 + 4
			s.raw(`<text text-anchor="end"`).numAttr("x", labelW-6).numAttr("y", y).raw(">").text(ellipsis(c, 17)).raw("<title>").text(c).raw("</title></text>")
			x := labelW + cell*float64(i) + cell/2 + 4
			yb := top + cell*float64(n) + 8
			s.raw(`<text text-anchor="end" transform="rotate(-50 `).num(x).raw(" ").num(yb).raw(`)"`).numAttr("x", x).numAttr("y", yb).raw(">").text(ellipsis(c, 16)).raw("<title>").text(c).raw("</title></text>")
		}
		s.raw("</g>")
	}
	// Colour scale.
	ly, lx := h-6, w-30-21*8
	s.raw(`<g class="tick">`)
	for lv := -10; lv <= 10; lv++ {
		s.raw(`<rect fill="`+heatColor(lv)+`"`).numAttr("x", lx+float64(lv+10)*8).numAttr("y", ly-10).raw(` width="8" height="8"/>`)
	}
	s.raw(`<text text-anchor="end"`).numAttr("x", lx-4).numAttr("y", ly-2).raw(">").text("−" + fmtNum(scale)).raw("</text>")
	s.textAt(lx+21*8+4, ly-2, "", "+"+fmtNum(scale))
	s.raw("</g></svg>")
	return s.html()
}
