package gen

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// The demo: a churn model trained on 2026-11-01 on a snapshot of October 2026, and a week of
// live logs (2026-11-20 … 2026-11-26) whose labels arrive 1 to 10 days after the prediction.
var (
	demoTrainStart  = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) // first ts of the training snapshot
	demoTrainedAt   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // end of the snapshot, the training date
	demoLiveStart   = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	demoLabelCutoff = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) // labels arrived before this instant exist
)

const (
	DemoTrainRows = 20000
	DemoLiveDays  = 7
	DemoLiveRows  = 5000 // per day
)

// DemoSummary counts what Demo wrote.
type DemoSummary struct {
	Files     int
	TrainRows int
	LiveRows  int
	LabelRows int
}

var (
	demoCountries     = []string{"DE", "FR", "ES", "IT", "NL", "PL", "SE"}
	demoCountryCum    = cumulative([]float64{0.30, 0.22, 0.15, 0.15, 0.10, 0.08})
	demoChannels      = []string{"web", "app", "branch", "partner"}
	demoChannelBase   = []float64{0.40, 0.30, 0.20, 0.10}
	demoProductsCum   = cumulative([]float64{0.50, 0.30, 0.15, 0.05})
	demoCountryLabels = byteLabels(demoCountries)
	demoChannelLabels = byteLabels(demoChannels)
)

func byteLabels(s []string) [][]byte {
	b := make([][]byte, len(s))
	for i, v := range s {
		b[i] = []byte(v)
	}
	return b
}

// demoDrift is the injected drift of live day d (0 = 2026-11-20, 6 = 2026-11-26); the
// training snapshot uses the zero value.
type demoDrift struct {
	incomeFactor float64   // multiplies income: 1 + 0.03·(d+1), so the last day is +21%
	channelCum   []float64 // channel probabilities: branch loses 80%·((d+1)/7)² of its mass to app
	balanceNull  float64   // 0.08, 0.30 on the last two days
	newCountry   float64   // share of the new country SE: 0.04 from the fifth day
}

func driftFor(day int) demoDrift {
	if day < 0 {
		return demoDrift{incomeFactor: 1, channelCum: cumulative(demoChannelBase), balanceNull: 0.08}
	}
	p := slices.Clone(demoChannelBase)
	f := float64(day+1) / DemoLiveDays
	moved := p[2] * 0.8 * f * f
	p[2] -= moved
	p[1] += moved
	d := demoDrift{incomeFactor: 1 + 0.03*float64(day+1), channelCum: cumulative(p), balanceNull: 0.08}
	if day >= DemoLiveDays-2 {
		d.balanceNull = 0.30
	}
	if day >= 4 {
		d.newCountry = 0.04
	}
	return d
}

// demoTable holds the columns of one demo file.
type demoTable struct {
	id          [][]byte
	ts          []int64
	age         []int32
	income      []float64
	credit      []int64
	balance     []float64 // NaN = null
	tenure      []int32
	products    []int32
	country     []int32
	channel     []int32
	premium     []bool
	score       []float64
	prediction  []int32
	churned     []int32
	labelDelays []time.Duration // live only: when the label arrives after ts
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// churnLogits returns the logit of the true churn probability and the logit of the model's
// score for one customer. The model is a slightly miscalibrated copy of the truth that does
// not see channel, country or balance, so only income drift moves its score.
func churnLogits(age int32, income float64, credit int64, tenure, products int32, premium bool, channel int) (truth, model float64) {
	li := math.Log(income / 40000)
	prem := 0.0
	if premium {
		prem = 1
	}
	base := -0.01*float64(credit-650) - 0.03*float64(tenure-36) - 0.4*float64(products-1) +
		0.015*float64(age-45)
	truth = -1.3 - 0.8*li + base - 0.6*prem + []float64{0.2, 0, -0.2, 0.5}[channel]
	model = -1.2 - 0.6*li + 0.9*base - 0.5*prem
	return truth, model
}

// genDemoTable draws n rows with ts uniform in [start, end), sorted by ts.
func genDemoTable(r *rand.Rand, n int, start, end time.Time, idPrefix string, day int) *demoTable {
	d := driftFor(day)
	t := &demoTable{
		id: make([][]byte, n), ts: make([]int64, n), age: make([]int32, n), income: make([]float64, n),
		credit: make([]int64, n), balance: make([]float64, n), tenure: make([]int32, n),
		products: make([]int32, n), country: make([]int32, n), channel: make([]int32, n),
		premium: make([]bool, n), score: make([]float64, n), prediction: make([]int32, n),
		churned: make([]int32, n), labelDelays: make([]time.Duration, n),
	}
	span := end.Sub(start).Microseconds()
	t0 := start.UnixMicro()
	for i := range t.ts {
		t.ts[i] = t0 + r.Int64N(span)
	}
	slices.Sort(t.ts)
	for i := range n {
		t.id[i] = fmt.Appendf(nil, "%s-%06d", idPrefix, i)
		age := int32(math.Round(42 + 13*r.NormFloat64()))
		t.age[i] = min(max(age, 18), 90)
		t.income[i] = d.incomeFactor * math.Exp(math.Log(42000)+0.5*r.NormFloat64())
		t.credit[i] = int64(min(max(math.Round(650+80*r.NormFloat64()), 300), 850))
		bal := math.Exp(math.Log(3000) + 1.0*r.NormFloat64())
		if r.Float64() < d.balanceNull {
			bal = math.NaN()
		}
		t.balance[i] = bal
		t.tenure[i] = int32(min(math.Floor(r.ExpFloat64()*36)+1, 240))
		t.products[i] = int32(pick(r, demoProductsCum) + 1)
		if r.Float64() < d.newCountry {
			t.country[i] = 6 // SE
		} else {
			t.country[i] = int32(pick(r, demoCountryCum))
		}
		ch := pick(r, d.channelCum)
		t.channel[i] = int32(ch)
		t.premium[i] = r.Float64() < 0.18
		lt, lm := churnLogits(t.age[i], t.income[i], t.credit[i], t.tenure[i], t.products[i], t.premium[i], ch)
		t.score[i] = logistic(lm)
		if t.score[i] >= 0.5 {
			t.prediction[i] = 1
		}
		if r.Float64() < logistic(lt) {
			t.churned[i] = 1
		}
		t.labelDelays[i] = 24*time.Hour + time.Duration(r.Int64N(int64(9*24*time.Hour)))
	}
	return t
}

func demoSpecs(withTarget bool) []colSpec {
	cols := []colSpec{
		{"request_id", kindText, false},
		{"ts", kindTimestamp, false},
		{"age", kindInt32, false},
		{"income", kindDouble, false},
		{"credit_score", kindInt64, false},
		{"balance", kindDouble, true},
		{"tenure_months", kindInt32, false},
		{"num_products", kindInt32, false},
		{"country", kindString, false},
		{"channel", kindString, false},
		{"is_premium", kindBool, false},
		{"score", kindDouble, false},
		{"prediction", kindInt32, false},
	}
	if withTarget {
		cols = append(cols, colSpec{"churned", kindInt32, false})
	}
	return cols
}

func (t *demoTable) batch(withTarget bool) []colData {
	b := []colData{
		{text: t.id}, {i64: t.ts}, {i32: t.age}, {f64: t.income}, {i64: t.credit}, {f64: t.balance},
		{i32: t.tenure}, {i32: t.products},
		{codes: t.country, labels: demoCountryLabels}, {codes: t.channel, labels: demoChannelLabels},
		{b: t.premium}, {f64: t.score}, {i32: t.prediction},
	}
	if withTarget {
		b = append(b, colData{i32: t.churned})
	}
	return b
}

// writeTable writes one small table atomically to path (temp name, fsync, rename).
func writeTable(path, name string, cols []colSpec, batch []colData, n int) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		tw, err := newTableWriter(w, name, cols, max(n, 1), &parquet.Zstd)
		if err != nil {
			return err
		}
		if err := tw.write(batch, n); err != nil {
			return err
		}
		return tw.close()
	})
}

// Demo writes the bundled churn demo under dir:
//
//	reference/train.parquet              20,000 rows, ts in October 2026, with the target churned
//	live/dt=2026-11-20/part-0.parquet …  7 days × 5,000 rows, ts inside the day, no churned
//	labels/dt=…/part-0.parquet           request_id, churned, label_ts (= ts + 1..10 days), partitioned
//	                                     by the day the label arrived, only labels before 2026-11-27
//
// The same seed gives byte-identical files. Each file is written to a temporary name and
// renamed, so an interrupted run leaves no partial file.
// Cancelling ctx stops it between files.
func Demo(ctx context.Context, dir string, seed uint64) (DemoSummary, error) {
	var s DemoSummary
	// stream 0: training snapshot; 1+d: live day d
	train := genDemoTable(newRand(seed, 0), DemoTrainRows, demoTrainStart, demoTrainedAt, "train", -1)
	path := filepath.Join(dir, "reference", "train.parquet")
	if err := writeTable(path, "train", demoSpecs(true), train.batch(true), DemoTrainRows); err != nil {
		return s, fmt.Errorf("demo reference: %w", err)
	}
	s.Files++
	s.TrainRows = DemoTrainRows

	type label struct {
		id      []byte
		churned int32
		ts      int64
	}
	labelsByDay := map[string][]label{}
	var labelDays []string
	for day := range DemoLiveDays {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		start := demoLiveStart.AddDate(0, 0, day)
		dt := start.Format("2006-01-02")
		t := genDemoTable(newRand(seed, uint64(1+day)), DemoLiveRows, start, start.AddDate(0, 0, 1),
			start.Format("20060102"), day)
		path := filepath.Join(dir, "live", "dt="+dt, "part-0.parquet")
		if err := writeTable(path, "live", demoSpecs(false), t.batch(false), DemoLiveRows); err != nil {
			return s, fmt.Errorf("demo live %s: %w", dt, err)
		}
		s.Files++
		s.LiveRows += DemoLiveRows
		for i := range DemoLiveRows {
			lts := t.ts[i] + t.labelDelays[i].Microseconds()
			if lts >= demoLabelCutoff.UnixMicro() {
				continue
			}
			ldt := time.UnixMicro(lts).UTC().Format("2006-01-02")
			if _, ok := labelsByDay[ldt]; !ok {
				labelDays = append(labelDays, ldt)
			}
			labelsByDay[ldt] = append(labelsByDay[ldt], label{t.id[i], t.churned[i], lts})
		}
	}
	slices.Sort(labelDays)
	cols := []colSpec{{"request_id", kindText, false}, {"churned", kindInt32, false}, {"label_ts", kindTimestamp, false}}
	for _, ldt := range labelDays {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		ls := labelsByDay[ldt]
		slices.SortStableFunc(ls, func(a, b label) int { return cmp.Compare(a.ts, b.ts) })
		ids, ch, ts := make([][]byte, len(ls)), make([]int32, len(ls)), make([]int64, len(ls))
		for i, l := range ls {
			ids[i], ch[i], ts[i] = l.id, l.churned, l.ts
		}
		path := filepath.Join(dir, "labels", "dt="+ldt, "part-0.parquet")
		if err := writeTable(path, "labels", cols, []colData{{text: ids}, {i32: ch}, {i64: ts}}, len(ls)); err != nil {
			return s, fmt.Errorf("demo labels %s: %w", ldt, err)
		}
		s.Files++
		s.LabelRows += len(ls)
	}
	return s, nil
}
