package jobs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/driftwatch/driftwatch/pipeline"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func fmtTimes(ts []time.Time) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.UTC().Format(time.RFC3339))
	}
	return strings.Join(s, " ")
}

// TestRobfigDefects records the library behaviours the daemon guards against (so that
// a library upgrade that fixes or changes them shows up here), next to ours.
func TestRobfigDefects(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	lib, err := cronParser.Parse("CRON_TZ=Europe/Berlin 30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ParseSchedule("CRON_TZ=Europe/Berlin 30 2 * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Spring forward, 2026-03-29 (02:00 CET → 03:00 CEST): the library skips the day.
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
	if got := lib.Next(from).UTC(); !got.Equal(utc(t, "2026-03-30T00:30:00Z")) {
		t.Errorf("library Next(%s) = %s: the skipped-day defect changed", from, got)
	}
	if got := ours.Next(from); !got.Equal(utc(t, "2026-03-29T01:00:00Z")) { // 03:00 CEST, at the jump
		t.Errorf("Next(%s) = %s, want 2026-03-29T01:00:00Z (03:00 CEST)", from, got)
	}
	// Fall back, 2026-10-25 (03:00 CEST → 02:00 CET): the library runs 02:30 twice.
	from = utc(t, "2026-10-25T00:30:00Z") // the first 02:30 (CEST)
	if got := lib.Next(from).UTC(); !got.Equal(utc(t, "2026-10-25T01:30:00Z")) {
		t.Errorf("library Next(%s) = %s: the run-twice defect changed", from, got)
	}
	if got := ours.Next(from); !got.Equal(utc(t, "2026-10-26T01:30:00Z")) {
		t.Errorf("Next(%s) = %s, want the next day, 2026-10-26T01:30:00Z", from, got)
	}
	// A bare CRON_TZ=UTC makes the library's parser panic; ours returns an error.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("library Parse(CRON_TZ=UTC) did not panic: the defect changed")
			}
		}()
		cronParser.Parse("CRON_TZ=UTC")
	}()
	if _, err := ParseSchedule("CRON_TZ=UTC", nil); err == nil || !strings.Contains(err.Error(), "no fields after CRON_TZ=UTC") {
		t.Errorf("ParseSchedule(CRON_TZ=UTC) = %v, want an error", err)
	}
	// Recover placed before SkipIfStillRunning: after one panic the job never runs
	// again (the panic skips the unlock). The daemon has no such chain: see
	// TestScheduler_PanicsAndErrors.
	var runs int
	job := cron.NewChain(cron.Recover(cron.DiscardLogger), cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() {
		runs++
		if runs == 1 {
			panic("boom")
		}
	}))
	for range 3 {
		job.Run()
	}
	if runs != 1 {
		t.Errorf("library chain ran the job %d times after a panic: the defect changed", runs)
	}
}

func TestSchedule_Next(t *testing.T) {
	for _, c := range []struct {
		spec, zone, after string
		want              string // the next times, space-separated
	}{
		// UTC, and the job's zone for a spec without CRON_TZ.
		{"0 1 * * *", "", "2026-11-27T00:59:59Z", "2026-11-27T01:00:00Z 2026-11-28T01:00:00Z"},
		{"0 1 * * *", "", "2026-11-27T01:00:00Z", "2026-11-28T01:00:00Z"},
		{"0 1 * * *", "Europe/Berlin", "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z 2026-11-29T00:00:00Z"},
		{"CRON_TZ=America/New_York 0 1 * * *", "Europe/Berlin", "2026-11-27T00:00:00Z", "2026-11-27T06:00:00Z"},
		{"TZ=Asia/Tokyo @daily", "", "2026-11-27T00:00:00Z", "2026-11-27T15:00:00Z 2026-11-28T15:00:00Z"},
		// Fixed-time jobs across DST (Berlin: 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00).
		{"30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-28T01:30:00Z 2026-03-29T01:00:00Z 2026-03-30T00:30:00Z"},
		{"30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", "2026-10-24T00:30:00Z 2026-10-25T00:30:00Z 2026-10-26T01:30:00Z"},
		// New York: 2026-11-01 02:00 EDT → 01:00 EST; 01:30 once, in EDT.
		{"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z 2026-11-02T06:30:00Z"},
		// Havana: 2026-03-08 00:00 → 01:00, midnight does not exist: @daily runs at 01:00.
		{"@daily", "America/Havana", "2026-03-07T12:00:00Z", "2026-03-08T05:00:00Z 2026-03-09T04:00:00Z"},
		// Lord Howe: 30-minute DST, 2026-10-04 02:00 → 02:30; 02:15 runs at the jump.
		{"15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", "2026-10-02T15:45:00Z 2026-10-03T15:30:00Z 2026-10-04T15:15:00Z"},
		// Wildcard jobs follow the clock: the skipped hour does not run, the repeated one twice.
		{"0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29T00:00:00Z 2026-03-29T01:00:00Z 2026-03-29T02:00:00Z"},
		{"0 * * * *", "Europe/Berlin", "2026-10-24T22:30:00Z", "2026-10-24T23:00:00Z 2026-10-25T00:00:00Z 2026-10-25T01:00:00Z 2026-10-25T02:00:00Z"},
		{"*/30 2 * * *", "Europe/Berlin", "2026-03-28T01:00:00Z", "2026-03-28T01:30:00Z 2026-03-30T00:00:00Z"},
		{"@hourly", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z 2026-10-25T02:00:00Z"},
		// @every: multiples since the epoch, whatever the start.
		{"@every 90m", "Europe/Berlin", "2026-11-27T00:10:00Z", "2026-11-27T01:30:00Z 2026-11-27T03:00:00Z"},
		{"@every 1d", "", "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"},
		// Month ends and leap days.
		{"0 0 31 * *", "", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z 2026-05-31T00:00:00Z"},
		{"0 0 29 2 *", "", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	} {
		var loc *time.Location
		if c.zone != "" {
			loc = mustLoc(t, c.zone)
		}
		s, err := ParseSchedule(c.spec, loc)
		if err != nil {
			t.Errorf("ParseSchedule(%q) = %v", c.spec, err)
			continue
		}
		want := strings.Fields(c.want)
		var got []time.Time
		at := utc(t, c.after)
		for range want {
			at = s.Next(at)
			got = append(got, at)
		}
		if fmtTimes(got) != strings.Join(want, " ") {
			t.Errorf("%q in %q after %s:\n got %s\nwant %s", c.spec, c.zone, c.after, fmtTimes(got), c.want)
		}
	}
}

func TestParseSchedule_Errors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"", "empty"},
		{"CRON_TZ=UTC", "no fields after CRON_TZ=UTC"},
		{"TZ=Europe/Berlin   ", "no fields"},
		{"CRON_TZ=Mars/Olympus 0 1 * * *", `unknown time zone "Mars/Olympus"`},
		{"CRON_TZ=Local 0 1 * * *", `unknown time zone "Local"`},
		{"61 * * * *", "above maximum"},
		{"0 1 * *", "expected exactly 5 fields"},
		{"0 0 0 1 * *", "expected exactly 5 fields"}, // no seconds field
		{"0 0 30 2 *", "matches no date"},
		{"@every 10s", "at least 1m"},
		{"@every soon", "at least 1m"},
		{"@fortnightly", "unrecognized descriptor"},
	} {
		_, err := ParseSchedule(c.spec, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error containing %q", c.spec, err, c.want)
		}
	}
}

func TestSchedule_BetweenAndLast(t *testing.T) {
	s, _ := ParseSchedule("0 1 * * *", nil)
	from, to := utc(t, "2026-11-20T01:00:00Z"), utc(t, "2026-11-24T01:00:00Z")
	got, over := s.Between(from, to, 0)
	if fmtTimes(got) != "2026-11-20T01:00:00Z 2026-11-21T01:00:00Z 2026-11-22T01:00:00Z 2026-11-23T01:00:00Z" || over {
		t.Errorf("Between([%s, %s)) = %s %v, want the 4 days from (inclusive) to (exclusive)", from, to, fmtTimes(got), over)
	}
	if got, over := s.Between(from, to, 2); len(got) != 2 || !over {
		t.Errorf("Between(limit 2) = %d times, %v; want 2, true", len(got), over)
	}
	if got := s.Last(from, utc(t, "2026-11-23T00:59:59Z")); !got.Equal(utc(t, "2026-11-22T01:00:00Z")) {
		t.Errorf("Last = %s, want 2026-11-22T01:00:00Z", got)
	}
	if got := s.Last(from, utc(t, "2026-11-21T01:00:00Z")); !got.Equal(utc(t, "2026-11-21T01:00:00Z")) {
		t.Errorf("Last(until a scheduled time) = %s, want it", got)
	}
	if got := s.Last(from, from.Add(time.Hour)); !got.IsZero() {
		t.Errorf("Last(none in range) = %s, want zero", got)
	}
	// A long outage: Last of a monthly schedule two years later.
	m, _ := ParseSchedule("0 0 1 * *", nil)
	if got := m.Last(from, utc(t, "2028-12-15T00:00:00Z")); !got.Equal(utc(t, "2028-12-01T00:00:00Z")) {
		t.Errorf("monthly Last = %s, want 2028-12-01", got)
	}
}

func testJob(t testing.TB, name, zone, window, refWindow, refOffset string) *Job {
	t.Helper()
	j := &Job{Name: name, cfg: &JobConfig{Name: name}, loc: time.UTC}
	if zone != "" {
		j.loc = mustLoc(t, zone)
	}
	var err error
	if j.curSpan, err = parseSpan(window); err != nil {
		t.Fatal(err)
	}
	if j.refSpan, err = parseSpan(refWindow); err != nil {
		t.Fatal(err)
	}
	if j.refOff, err = parseSpan(refOffset); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestWindows_DST: `24h` is an exact duration, `1d` a calendar day of the job's zone
// (23 hours on 2026-03-29 in Berlin, 25 on 2026-10-25).
func TestWindows_DST(t *testing.T) {
	for _, c := range []struct {
		zone, window, at string
		start            string
	}{
		{"", "24h", "2026-11-27T00:00:00Z", "2026-11-26T00:00:00Z"},
		{"", "1d", "2026-11-27T00:00:00Z", "2026-11-26T00:00:00Z"},
		{"Europe/Berlin", "1d", "2026-11-26T23:00:00Z", "2026-11-25T23:00:00Z"},
		// At midnight after the spring-forward day.
		{"Europe/Berlin", "24h", "2026-03-29T22:00:00Z", "2026-03-28T22:00:00Z"}, // 23:00 CET the day before
		{"Europe/Berlin", "1d", "2026-03-29T22:00:00Z", "2026-03-28T23:00:00Z"},  // midnight: 23 hours
		// At midnight after the fall-back day.
		{"Europe/Berlin", "24h", "2026-10-25T23:00:00Z", "2026-10-24T23:00:00Z"}, // 01:00 CEST
		{"Europe/Berlin", "1d", "2026-10-25T23:00:00Z", "2026-10-24T22:00:00Z"},  // midnight: 25 hours
		{"Europe/Berlin", "7d", "2026-04-01T22:00:00Z", "2026-03-25T23:00:00Z"},  // a week of 167 hours
		{"Europe/Berlin", "1d12h", "2026-03-30T22:00:00Z", "2026-03-29T10:00:00Z"},
		// A day back from 03:30 CEST on 2026-03-30 is 03:30 on the 29th (CEST, after the jump).
		{"Europe/Berlin", "1d", "2026-03-30T01:30:00Z", "2026-03-29T01:30:00Z"},
		// A day back from 02:30 CEST on 2026-03-30: 02:30 did not exist on the 29th: the jump.
		{"Europe/Berlin", "1d", "2026-03-30T00:30:00Z", "2026-03-29T01:00:00Z"},
	} {
		j := testJob(t, "j", c.zone, c.window, "", "")
		_, cur := j.Windows(utc(t, c.at))
		if !cur.Start.Equal(utc(t, c.start)) || !cur.End.Equal(utc(t, c.at)) {
			t.Errorf("window %s in %q at %s = [%s, %s), want [%s, %s)", c.window, c.zone, c.at, cur.Start.UTC(), cur.End.UTC(), c.start, c.at)
		}
	}
}

// TestWindows_Tile: daily runs at midnight Berlin over 2026. Calendar-day windows tile
// the year exactly; 24h windows overlap by an hour once and leave an hour out once.
func TestWindows_Tile(t *testing.T) {
	sched, _ := ParseSchedule("@daily", mustLoc(t, "Europe/Berlin"))
	times, _ := sched.Between(utc(t, "2026-01-01T00:00:00Z"), utc(t, "2027-01-01T00:00:00Z"), 0)
	if len(times) != 365 {
		t.Fatalf("%d daily runs in 2026, want 365", len(times))
	}
	for _, c := range []struct {
		window   string
		mismatch int
	}{{"1d", 0}, {"24h", 2}} {
		j := testJob(t, "j", "Europe/Berlin", c.window, "", "")
		n := 0
		for i := 1; i < len(times); i++ {
			if _, cur := j.Windows(times[i]); !cur.Start.Equal(times[i-1]) {
				n++
			}
		}
		if n != c.mismatch {
			t.Errorf("window %s: %d of 364 windows do not start where the previous ended, want %d", c.window, n, c.mismatch)
		}
	}
}

func TestWindows_Reference(t *testing.T) {
	at := utc(t, "2026-11-27T00:00:00Z")
	for _, c := range []struct {
		window, refWindow, refOffset string
		cur                          pipeline.Window // override
		ref, curW                    string
	}{
		{"24h", "7d", "", pipeline.Window{}, "2026-11-19T00:00:00Z 2026-11-26T00:00:00Z", "2026-11-26T00:00:00Z 2026-11-27T00:00:00Z"},
		{"24h", "7d", "1d", pipeline.Window{}, "2026-11-19T00:00:00Z 2026-11-26T00:00:00Z", "2026-11-26T00:00:00Z 2026-11-27T00:00:00Z"},
		{"24h", "7d", "30d", pipeline.Window{}, "2026-10-21T00:00:00Z 2026-10-28T00:00:00Z", "2026-11-26T00:00:00Z 2026-11-27T00:00:00Z"},
		{"", "7d", "", pipeline.Window{}, "2026-11-20T00:00:00Z 2026-11-27T00:00:00Z", ""},
		{"24h", "", "", pipeline.Window{}, "", "2026-11-26T00:00:00Z 2026-11-27T00:00:00Z"},
		// Airflow's data interval replaces the current window; the reference ends where it starts.
		{"24h", "7d", "", pipeline.Window{Start: utc(t, "2026-11-26T06:00:00Z"), End: at},
			"2026-11-19T06:00:00Z 2026-11-26T06:00:00Z", "2026-11-26T06:00:00Z 2026-11-27T00:00:00Z"},
	} {
		j := testJob(t, "j", "", c.window, c.refWindow, c.refOffset)
		ref, cur := j.windows(at, c.cur)
		f := func(w pipeline.Window) string {
			if w.IsZero() {
				return ""
			}
			return w.Start.UTC().Format(time.RFC3339) + " " + w.End.UTC().Format(time.RFC3339)
		}
		if f(ref) != c.ref || f(cur) != c.curW {
			t.Errorf("window %q reference %q offset %q override %v:\n got ref [%s] cur [%s]\nwant ref [%s] cur [%s]",
				c.window, c.refWindow, c.refOffset, c.cur, f(ref), f(cur), c.ref, c.curW)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want span
		err  bool
	}{
		{"24h", span{dur: 24 * time.Hour}, false},
		{"1d", span{days: 1}, false},
		{"7d", span{days: 7}, false},
		{"1d12h", span{days: 1, dur: 12 * time.Hour}, false},
		{"90m", span{dur: 90 * time.Minute}, false},
		{"", span{}, false},
		{"1dd", span{}, true},
		{"soon", span{}, true},
	} {
		got, err := parseSpan(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("parseSpan(%q) = %+v, %v; want %+v (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

func TestValidate_ScheduleKeys(t *testing.T) {
	base := `version: 1
jobs:
  - name: j
    %s
    reference: {type: parquet, path: r}
    current: {type: parquet, path: c, timestamp: ts, window: %s}
%s`
	for _, c := range []struct{ job, window, state, want string }{
		{`schedule: "CRON_TZ=UTC"`, "24h", "", "jobs[0].schedule: schedule \"CRON_TZ=UTC\": no fields"},
		{`schedule: "0 25 * * *"`, "24h", "", "jobs[0].schedule"},
		{`catchup: sometimes`, "24h", "", `jobs[0].catchup: "sometimes" is not valid (valid: all, latest, none)`},
		{`catchup: all`, "1x", "", "jobs[0].current"},
		{`catchup: all`, "24h", "state: {driver: mysql}", `state.driver: "mysql" is not valid`},
		{`catchup: all`, "24h", "state: {driver: postgres}", "state.dsn: required for driver postgres"},
		{`catchup: all`, "24h", "state: {driver: sqlite, dsn: x}", "state.dsn: only for driver postgres"},
	} {
		_, err := ParseConfig([]byte(fmt.Sprintf(base, c.job, c.window, c.state)), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config with %s / window %s / %s: %v, want %q", c.job, c.window, c.state, err, c.want)
		}
	}
	ok := fmt.Sprintf(base, `schedule: "CRON_TZ=Europe/Berlin 30 2 * * *"`, "1d", "state: {driver: sqlite, path: s.db}")
	if _, err := ParseConfig([]byte(strings.Replace(ok, "    reference", "    catchup: none\n    reference", 1)), "test.yaml"); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// BenchmarkScheduleNext: one Next call, far from and near a DST change.
func BenchmarkScheduleNext(b *testing.B) {
	for _, c := range []struct {
		name, spec, zone, at string
	}{
		{"daily_utc", "0 1 * * *", "", "2026-11-27T12:00:00Z"},
		{"daily_berlin", "30 2 * * *", "Europe/Berlin", "2026-11-27T12:00:00Z"},
		{"daily_berlin_dst", "30 2 * * *", "Europe/Berlin", "2026-10-24T23:00:00Z"},
		{"minutely_berlin_dst", "* * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var loc *time.Location
			if c.zone != "" {
				loc = mustLoc(b, c.zone)
			}
			s, err := ParseSchedule(c.spec, loc)
			if err != nil {
				b.Fatal(err)
			}
			at := utc(b, c.at)
			b.ReportAllocs()
			for b.Loop() {
				s.Next(at)
			}
		})
	}
}
