package sources

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Partition modes of a file source (`partitions:`).
const (
	// PartitionsAuto prunes hive partition folders by the window: a folder whose
	// period (below) lies outside the window is not walked, and none of its files is
	// opened. It assumes that a partition holds the rows whose timestamp falls in its
	// period, as when the partition values were derived from the timestamp column.
	PartitionsAuto = "auto"
	// PartitionsIgnore opens every file and filters rows by the timestamp column only:
	// for partitions by another date (e.g. ingestion date while the timestamp is the
	// event time) that may hold rows of other periods.
	PartitionsIgnore = "ignore"
)

// partitioning is the partition pruning of a dataset.
type partitioning struct {
	mode string
	loc  *time.Location // the zone of partition values (default UTC)
}

func parsePartitioning(mode, tz string) (partitioning, error) {
	p := partitioning{mode: mode, loc: time.UTC}
	if p.mode == "" {
		p.mode = PartitionsAuto
	}
	var errs []string
	if p.mode != PartitionsAuto && p.mode != PartitionsIgnore {
		errs = append(errs, fmt.Sprintf("partitions: %q is not one of auto, ignore", mode))
	}
	if tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			errs = append(errs, fmt.Sprintf("partition_timezone: %v", err))
		} else {
			p.loc = loc
		}
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return p, nil
}

// pruner decides, for one listing, which partition folders lie outside the window.
type pruner struct {
	root    string // the listing root: the dataset folder, or a glob's folder prefix
	w       pipeline.Window
	loc     *time.Location
	skipped []string // folders left out, for the log and the finding
}

// skip reports whether folder dir (below p.root) is a partition outside the window.
func (p *pruner) skip(dir string) bool {
	rel, err := filepath.Rel(p.root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false
	}
	start, end, ok := partitionSpan(rel, p.loc)
	if !ok {
		return false
	}
	out := (!p.w.Start.IsZero() && !end.After(p.w.Start)) || (!p.w.End.IsZero() && !start.Before(p.w.End))
	if out {
		p.skipped = append(p.skipped, dir)
	}
	return out
}

// listing lists the files of the dataset for window w, pruning partition folders
// outside it (when the window applies and partitions are not ignored). It returns the
// files and the folders left out; no file at all is an error, no file in the window is
// not (the dataset is then empty).
func (d *dataset) listing(path string, w pipeline.Window) ([]string, []string, error) {
	if w.IsZero() || d.timestamp == "" || d.part.mode == PartitionsIgnore {
		names, err := listFiles(path, d.format.exts())
		return names, nil, err
	}
	root := path
	if hasGlobMeta(path) {
		root = staticPrefix(path)
	}
	p := &pruner{root: root, w: w, loc: d.part.loc}
	if p.loc == nil {
		p.loc = time.UTC
	}
	names, err := listFilesSkip(path, d.format.exts(), p.skip)
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 && len(p.skipped) == 0 {
		return nil, nil, fmt.Errorf("list %s: no files match (want %s)", path, strings.Join(d.format.exts(), ", "))
	}
	sort.Strings(p.skipped)
	return names, p.skipped, nil
}

// Partition keys, lower case: a date (dt=2026-11-27, date=…, ds=…; also 20261127 and
// an hour: 2026-11-27-05, 2026-11-27T05, "2026-11-27 05") or a hierarchy year=2026/
// month=11/day=27/hour=05 (from the year down, without gaps). An hour= folder refines
// a date.
var (
	dateKeys  = map[string]bool{"dt": true, "date": true, "ds": true}
	dateForms = []struct {
		layout string
		hour   bool
	}{
		{"2006-01-02", false}, {"20060102", false},
		{"2006-01-02-15", true}, {"2006-01-02T15", true}, {"2006-01-02 15", true}, {"2006010215", true},
	}
)

// partitionSpan returns the period [start, end) covered by the hive partition folders
// in rel (a folder path relative to the dataset root), with partition values read as
// wall-clock times in loc, and false when rel names no period. Elements that are not
// partition keys, or whose values do not parse, are ignored. Periods are calendar
// periods in loc (a day of 23 or 25 hours across a DST change); where a bound falls in
// a repeated or skipped wall-clock hour the period is widened to cover it, so that no
// row of the partition is outside it.
func partitionSpan(rel string, loc *time.Location) (start, end time.Time, ok bool) {
	var (
		date                   time.Time // from a date key
		dateHour               bool
		year, month, day, hour = -1, -1, -1, -1
	)
	for _, e := range strings.Split(filepath.ToSlash(rel), "/") {
		k, v, found := strings.Cut(e, "=")
		if !found {
			continue
		}
		k = strings.ToLower(k)
		switch {
		case dateKeys[k]:
			for _, f := range dateForms {
				if t, err := time.Parse(f.layout, v); err == nil {
					date, dateHour = t, f.hour
					break
				}
			}
		case k == "year":
			year = atoiRange(v, 1, 9999)
		case k == "month":
			month = atoiRange(v, 1, 12)
		case k == "day":
			day = atoiRange(v, 1, 31)
		case k == "hour":
			hour = atoiRange(v, 0, 23)
		}
	}
	var c0, c1 time.Time // civil bounds, as UTC fields
	switch {
	case !date.IsZero() && !dateHour && hour >= 0:
		c0 = date.Add(time.Duration(hour) * time.Hour)
		c1 = c0.Add(time.Hour)
	case !date.IsZero() && dateHour:
		c0, c1 = date, date.Add(time.Hour)
	case !date.IsZero():
		c0, c1 = date, date.AddDate(0, 0, 1)
	case year < 0:
		return time.Time{}, time.Time{}, false
	case month < 0:
		c0 = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		c1 = c0.AddDate(1, 0, 0)
	case day < 0:
		c0 = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		c1 = c0.AddDate(0, 1, 0)
	case day > daysIn(year, time.Month(month)):
		return time.Time{}, time.Time{}, false
	case hour < 0:
		c0 = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		c1 = c0.AddDate(0, 0, 1)
	default:
		c0 = time.Date(year, time.Month(month), day, hour, 0, 0, 0, time.UTC)
		c1 = c0.Add(time.Hour)
	}
	first, _ := wallInstants(c0, loc)
	_, last := wallInstants(c1, loc)
	return first, last, true
}

func atoiRange(s string, lo, hi int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return -1
	}
	return n
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wallInstants returns the first and the last instant at which the wall clock of loc
// reads civil (its UTC fields): the same instant for an ordinary time, the two
// instants of a repeated time (DST ends), and for a skipped time (DST starts) the
// transition, where the wall clock jumps past it.
func wallInstants(civil time.Time, loc *time.Location) (first, last time.Time) {
	if loc == time.UTC {
		return civil, civil
	}
	u := civil.Unix()
	var found []time.Time
	seen := map[int]bool{}
	// The offsets in force around civil: one before and one after any transition.
	for _, probe := range []int64{u - 36*3600, u, u + 36*3600} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		t := time.Unix(u-int64(off), int64(civil.Nanosecond())).In(loc)
		if _, o := t.Zone(); o == off {
			found = append(found, t)
		}
	}
	if len(found) == 0 { // skipped: the transition after the gap
		_, off := time.Unix(u-36*3600, 0).In(loc).Zone()
		start, _ := time.Unix(u-int64(off), 0).In(loc).ZoneBounds()
		return start.UTC(), start.UTC()
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Before(found[j]) })
	return found[0].UTC(), found[len(found)-1].UTC()
}
