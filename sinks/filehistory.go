package sinks

import (
	"cmp"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks/htmlreport"
)

// DefaultFileHistory is how many earlier runs the file sink's HTML page draws as trend
// lines when the config does not say.
const DefaultFileHistory = 30

// historyMaxBytes skips earlier reports larger than this, and historyBudget stops
// reading them once this many bytes were read (a history point needs a few fields of
// each column; very wide reports would make every run slow to write).
const (
	historyMaxBytes = 32 << 20
	historyBudget   = 256 << 20
)

// history returns up to the configured number of the job's earlier runs, oldest first,
// read back from the JSON reports this sink wrote before r: the files its path template
// matches for the same job with another run, whose logical time is before r's (for an
// ad-hoc report, with no logical time: none). Files that do not parse as a report of the
// job are skipped: a damaged old report must not stop today's.
func (f *File) history(r *pipeline.Report, jsonPath string) []htmlreport.HistoryPoint {
	n := DefaultFileHistory
	if f.cfg.History != nil {
		n = *f.cfg.History
	}
	if n <= 0 || r.LogicalTime == nil || !slices.Contains(f.formats, FormatJSON) {
		return nil
	}
	re, root, depth, ok := f.historyPattern(r)
	if !ok {
		return nil
	}
	type cand struct {
		path, key string
	}
	var cands []cand
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: skip
		}
		rel, _ := filepath.Rel(root, p)
		levels := strings.Count(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if rel != "." && levels >= depth { // the reports lie no deeper
				return filepath.SkipDir
			}
			return nil
		}
		if levels != depth || p == jsonPath {
			return nil
		}
		m := re.FindStringSubmatch(filepath.ToSlash(p))
		if m == nil {
			return nil
		}
		// order by the logical date/time in the name, then by name
		var key strings.Builder
		for i, name := range re.SubexpNames() {
			if name == "logical_time" || name == "logical_date" {
				key.WriteString(m[i])
			}
		}
		cands = append(cands, cand{p, key.String() + "\x00" + p})
		return nil
	})
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(b.key, a.key) }) // newest first
	var out []htmlreport.HistoryPoint
	read := int64(0)
	for _, c := range cands {
		if len(out) == n {
			break
		}
		st, err := os.Stat(c.path)
		if err != nil || st.Size() > historyMaxBytes {
			continue
		}
		if read += st.Size(); read > historyBudget {
			break
		}
		b, err := os.ReadFile(c.path)
		if err != nil {
			continue
		}
		var old pipeline.Report
		if json.Unmarshal(b, &old) != nil || old.Job != r.Job || old.RunID == r.RunID ||
			old.LogicalTime == nil || !old.LogicalTime.Before(*r.LogicalTime) {
			continue
		}
		out = append(out, htmlreport.PointOf(&old))
	}
	slices.SortStableFunc(out, func(a, b htmlreport.HistoryPoint) int { return a.LogicalTime.Compare(b.LogicalTime) })
	return out
}

// historyPattern returns a regular expression matching (with slashes) the paths of this
// sink's JSON reports of r's job, with the placeholders as named groups, the folder to
// walk (the longest leading folder of the template without a placeholder) and how many
// folders below it the reports lie.
func (f *File) historyPattern(r *pipeline.Report) (*regexp.Regexp, string, int, bool) {
	tmpl := strings.ReplaceAll(f.cfg.Path, "{job}", cleanName(r.Job))
	if f.formats[0] != FormatJSON {
		tmpl = strings.TrimSuffix(tmpl, filepath.Ext(tmpl)) + ".json"
	}
	if !filepath.IsAbs(tmpl) {
		tmpl = filepath.Join(f.base, tmpl)
	}
	tmpl = filepath.ToSlash(filepath.Clean(tmpl))
	var re strings.Builder
	re.WriteString("^")
	seen := map[string]bool{}
	rest := tmpl
	for {
		loc := placeholder.FindStringIndex(rest)
		if loc == nil {
			re.WriteString(regexp.QuoteMeta(rest))
			break
		}
		re.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
		name := rest[loc[0]+1 : loc[1]-1]
		if seen[name] { // a placeholder twice: not worth a pattern of its own
			return nil, "", 0, false
		}
		seen[name] = true
		re.WriteString("(?P<" + name + ">[^/]*)")
		rest = rest[loc[1]:]
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, "", 0, false
	}
	root := tmpl
	if loc := placeholder.FindStringIndex(tmpl); loc != nil {
		root = tmpl[:loc[0]]
	}
	root = root[:strings.LastIndex(root, "/")+1]
	depth := strings.Count(tmpl[len(root):], "/")
	if root == "" {
		root = "."
	}
	return compiled, filepath.FromSlash(root), depth, true
}
