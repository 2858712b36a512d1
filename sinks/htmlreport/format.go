package htmlreport

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// dash stands for a missing or undefined number.
const dash = "–"

// fmtNum formats a number for people: 4 significant digits below 10⁴ (0.2314, 12.35,
// 4749), whole numbers with separators up to 10¹² (47,490), else 3 digits and an
// exponent (1.2e-07, 3.4e+15).
func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return dash
	case x == 0:
		return "0"
	}
	a := math.Abs(x)
	switch {
	case a >= 1e-3 && a < 1e4:
		return strconv.FormatFloat(x, 'g', 4, 64)
	case a >= 1e4 && a < 1e12:
		return fmtInt(int64(math.Round(x))) // 47,490
	}
	s := strconv.FormatFloat(x, 'e', 2, 64) // 1.23e-07
	mant, exp, _ := strings.Cut(s, "e")
	mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if sign == '-' {
		return mant + "e-" + exp
	}
	return mant + "e+" + exp
}

// fmtNumP formats an optional report number.
func fmtNumP(n *pipeline.Num) string {
	if n == nil {
		return dash
	}
	return fmtNum(float64(*n))
}

// fmtPct formats a share as a percentage: 0%, 0.012%, 3.4%, 100%.
func fmtPct(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return dash
	case x == 0:
		return "0%"
	case x < 0.001:
		return strconv.FormatFloat(100*x, 'g', 2, 64) + "%"
	}
	s := strconv.FormatFloat(100*x, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// fmtInt formats a count with thousands separators: 1,234,567.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtTime formats a time as RFC 3339 in UTC, dropping zero seconds and a midnight time.
func fmtTime(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	if t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04Z")
	}
	return t.Format(time.RFC3339)
}

// fmtTick formats an axis value: short, and as a date for datetime columns (Unix seconds).
func fmtTick(x float64, datetime bool, step float64) string {
	if datetime {
		t := time.Unix(int64(math.Floor(x)), 0).UTC()
		if step >= 86400 {
			return t.Format("2006-01-02")
		}
		return t.Format("01-02 15:04")
	}
	if x == 0 {
		return "0"
	}
	a := math.Abs(x)
	if a >= 1e-3 && a < 1e6 {
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	return fmtNum(x)
}

// sortKey is a float formatted for a data-v attribute (JS parseFloat).
func sortKey(x float64) string {
	switch {
	case math.IsNaN(x):
		return ""
	case math.IsInf(x, 1):
		return "1e308"
	case math.IsInf(x, -1):
		return "-1e308"
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}
