package sources

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// mergeSchemas merges the columns of files: a column keeps the place where it first
// appears. Same kind in every file: one field (an info finding when the declared types
// differ, e.g. int32 and double). Different kinds: the column is dropped with an error
// finding naming the files. A column absent from some files reads as missing values
// there (a warning finding). Skipped columns are reported once per name.
func mergeSchemas(files []fileReader) (pipeline.Schema, map[string]*mergedColumn) {
	type seen struct {
		kind pipeline.Kind
		typ  string
		file string
	}
	var (
		order    []string
		byName   = map[string][]seen{}
		idx      = map[string][]int{}
		findings []pipeline.Finding
		skipped  = map[string]pipeline.Finding{}
		skipOrd  []string
	)
	for f, fr := range files {
		for i, c := range fr.columns() {
			if _, ok := idx[c.name]; !ok {
				order = append(order, c.name)
				idx[c.name] = make([]int, len(files))
				for j := range idx[c.name] {
					idx[c.name][j] = -1
				}
			}
			idx[c.name][f] = i
			byName[c.name] = append(byName[c.name], seen{c.kind, c.typ, fr.name()})
		}
		for _, fd := range fr.skipped() {
			if _, ok := skipped[fd.Column]; !ok {
				skipped[fd.Column] = fd
				skipOrd = append(skipOrd, fd.Column)
			}
		}
	}
	for _, name := range skipOrd {
		fd := skipped[name]
		if ss, ok := byName[name]; ok { // readable in other files: a conflict
			findings = append(findings, pipeline.Finding{
				Type:     "type_conflict",
				Column:   name,
				Severity: pipeline.SeverityError,
				Message:  fmt.Sprintf("%s in %s, but unreadable in %s (%s): column dropped", ss[0].typ, ss[0].file, fd.Source, fd.Message),
				Source:   fd.Source,
			})
			delete(byName, name)
			continue
		}
		findings = append(findings, fd)
	}

	schema := pipeline.Schema{}
	cols := make(map[string]*mergedColumn)
	for _, name := range order {
		ss, ok := byName[name]
		if !ok {
			continue
		}
		first := ss[0]
		var conflict *seen
		var types []string
		for i := range ss {
			if ss[i].kind != first.kind && conflict == nil {
				conflict = &ss[i]
			}
			if !contains(types, ss[i].typ) {
				types = append(types, ss[i].typ)
			}
		}
		if conflict != nil {
			findings = append(findings, pipeline.Finding{
				Type:     "type_conflict",
				Column:   name,
				Severity: pipeline.SeverityError,
				Message: fmt.Sprintf("%s (%s) in %s, %s (%s) in %s: column dropped",
					first.typ, first.kind, first.file, conflict.typ, conflict.kind, conflict.file),
				Source: conflict.file,
			})
			continue
		}
		field := pipeline.Field{Name: name, Kind: first.kind, Type: first.typ}
		if len(types) > 1 {
			field.Type = strings.Join(types, "|")
			var where []string
			for _, t := range types {
				for _, s := range ss {
					if s.typ == t {
						where = append(where, fmt.Sprintf("%s in %s", t, s.file))
						break
					}
				}
			}
			findings = append(findings, pipeline.Finding{
				Type:     "type_merged",
				Column:   name,
				Severity: pipeline.SeverityInfo,
				Message:  fmt.Sprintf("%s: merged as %s", strings.Join(where, ", "), first.kind),
			})
		}
		if len(ss) < len(files) {
			var absent string
			for f, i := range idx[name] {
				if i < 0 {
					absent = files[f].name()
					break
				}
			}
			findings = append(findings, pipeline.Finding{
				Type:     "column_absent_in_files",
				Column:   name,
				Severity: pipeline.SeverityWarning,
				Message: fmt.Sprintf("absent from %d of %d files (first: %s): their rows read as missing values",
					len(files)-len(ss), len(files), absent),
				Source: absent,
			})
		}
		schema.Fields = append(schema.Fields, field)
		cols[name] = &mergedColumn{field: field, idx: idx[name]}
	}
	schema.Findings = findings
	return schema, cols
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func skippedFinding(file, column, why string) pipeline.Finding {
	return pipeline.Finding{
		Type:     "skipped_column",
		Column:   column,
		Severity: pipeline.SeverityWarning,
		Message:  why,
		Source:   file,
	}
}

// unixSeconds returns sec seconds plus nsec nanoseconds as float64 seconds. The parts
// are first given the same sign, so the value is computed as time.Duration.Seconds
// does; every reader and the window bounds round alike.
func unixSeconds(sec, nsec int64) float64 {
	sec += nsec / 1e9
	nsec %= 1e9
	if sec < 0 && nsec > 0 {
		sec++
		nsec -= 1e9
	} else if sec > 0 && nsec < 0 {
		sec--
		nsec += 1e9
	}
	return float64(sec) + float64(nsec)/1e9
}

// unitSeconds converts v units of unitNanos nanoseconds each (1e3: micros) to seconds.
func unitSeconds(v, unitNanos int64) float64 {
	per := int64(1e9) / unitNanos
	return unixSeconds(v/per, (v%per)*unitNanos)
}

// windowSeconds returns the window's bounds as Unix seconds; open bounds are ±Inf.
func windowSeconds(w pipeline.Window) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if !w.Start.IsZero() {
		lo = unixSeconds(w.Start.Unix(), int64(w.Start.Nanosecond()))
	}
	if !w.End.IsZero() {
		hi = unixSeconds(w.End.Unix(), int64(w.End.Nanosecond()))
	}
	return lo, hi
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
