package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources"
)

// Profiles on the command line and in jobs (docs/profiles.md):
//
//	driftwatch profile --input DATA --out FILE [--reference-profile R] [--shard k/n]
//	                   [--mode exact|sketch] [--columns c1,c2] [--target T --prediction P --score S]
//	                   [--timestamp TS --window-start S --window-end E]
//	driftwatch merge A B … --out FILE
//
// compare and run take a profile file wherever they take data: compare detects one by
// its magic bytes, a job names it as a source of `type: profile`. A job may keep the
// profile of every current window (`profiles:`) and answer a longer window by merging
// kept profiles (`rollup:`).

// ProfileExt is the extension of profile files written by jobs.
const ProfileExt = ".dwprof"

// ProfileSummary is the JSON line profile and merge print on stdout.
type ProfileSummary struct {
	Out     string `json:"out"`
	Mode    string `json:"mode"`
	Rows    int64  `json:"rows"`
	Columns int    `json:"columns"`
	Parts   int    `json:"parts"`
	Bytes   int64  `json:"bytes"`
	Source  string `json:"source"`
}

func cmdProfile(ctx context.Context, args []string, env Env) (int, error) {
	fs := newFlags("profile", env)
	input := fs.String("input", "", "data to profile: a Parquet/Arrow file, a folder, a glob or an s3://, gs://, file:// URL (required)")
	out := fs.String("out", "", "profile file to write, atomically (a path or a URL) (required)")
	refPath := fs.String("reference-profile", "", "profile whose bin edges the histograms use (the reference's); without it, sketch mode reads each numeric column twice")
	shard := fs.String("shard", "", "profile only part k of n of the input's row groups, k/n with 0 <= k < n (merge the parts with driftwatch merge)")
	modeFlag := fs.String("mode", "sketch", "exact (every value, sorted: exact rank methods, size grows with rows) or sketch (bounded size, rank error <= 0.005)")
	columns := fs.String("columns", "", "comma-separated columns to profile (default: all)")
	target := fs.String("target", "", "target column (model-quality accumulators)")
	prediction := fs.String("prediction", "", "prediction column (model-quality accumulators)")
	score := fs.String("score", "", "score column: probability of the positive class (binned ROC AUC, log loss)")
	timestamp := fs.String("timestamp", "", "timestamp column, to profile only the rows of --window-start/--window-end")
	ws := fs.String("window-start", "", "window start (RFC 3339 or a date), with --window-end and --timestamp")
	we := fs.String("window-end", "", "window end")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *input == "" || *out == "" {
		return 0, usagef("profile: --input and --out are required")
	}
	mode, err := pipeline.ParseProfileMode(*modeFlag)
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("profile: --mode: %w", err)}
	}
	var w pipeline.Window
	if *ws != "" || *we != "" {
		if *ws == "" || *we == "" || *timestamp == "" {
			return 0, usagef("profile: --window-start, --window-end and --timestamp go together")
		}
		if w.Start, err = ParseTime(*ws); err != nil {
			return 0, &UsageError{Err: fmt.Errorf("profile: --window-start: %w", err)}
		}
		if w.End, err = ParseTime(*we); err != nil {
			return 0, &UsageError{Err: fmt.Errorf("profile: --window-end: %w", err)}
		}
	}
	ds, err := sources.FromPath(*input, sources.Deps{Logger: env.Logger})
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("profile: --input: %w", err)}
	}
	if *timestamp != "" {
		ds = sources.WithTimestamp(ds, *timestamp)
	}
	if *shard != "" {
		k, n, err := sources.ParseShard(*shard)
		if err != nil {
			return 0, &UsageError{Err: fmt.Errorf("profile: --shard: %w", err)}
		}
		if ds, err = sources.Shard(ds, k, n); err != nil {
			return 0, &UsageError{Err: fmt.Errorf("profile: --shard: %w", err)}
		}
	}
	o := pipeline.ProfileOptions{Mode: mode, Columns: splitList(*columns), Source: ds.String(), Window: w,
		Roles: pipeline.Roles{Target: *target, Prediction: *prediction}}
	if *score != "" {
		o.Roles.Scores = []string{*score}
	}
	if *refPath != "" {
		if o.Reference, err = ReadProfileFile(ctx, *refPath); err != nil {
			return 0, fmt.Errorf("profile: --reference-profile: %w", err)
		}
	}
	start := env.Now()
	src, err := ds.Open(ctx, w)
	if err != nil {
		return 0, fmt.Errorf("profile: %w", err)
	}
	defer src.Close()
	p, err := pipeline.BuildProfile(ctx, src, o)
	if err != nil {
		return 0, err
	}
	n, err := WriteProfileFile(ctx, *out, p)
	if err != nil {
		return 0, err
	}
	env.Logger.Info("profile written", "out", *out, "rows", p.Rows, "columns", len(p.Columns), "mode", mode.String(),
		"bytes", n, "duration_s", env.Now().Sub(start).Seconds())
	return ExitOK, printSummary(env, ProfileSummary{Out: *out, Mode: mode.String(), Rows: p.Rows, Columns: len(p.Columns),
		Parts: p.Parts, Bytes: n, Source: p.Source})
}

func printSummary(env Env, s ProfileSummary) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}

func cmdMerge(ctx context.Context, args []string, env Env) (int, error) {
	fs := newFlags("merge", env)
	out := fs.String("out", "", "merged profile file to write, atomically (required)")
	// flags and inputs may interleave: merge a.dwprof b.dwprof --out m.dwprof
	var inputs []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0, err
			}
			return 0, &UsageError{Err: err}
		}
		if fs.NArg() == 0 {
			break
		}
		inputs = append(inputs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *out == "" || len(inputs) == 0 {
		return 0, usagef("merge: at least one input profile and --out are required")
	}
	var paths []string
	for _, in := range inputs {
		if isURL(in) && strings.ContainsAny(in, "*[") {
			m, err := globURL(ctx, in)
			if err != nil {
				return 0, fmt.Errorf("merge: %w", err)
			}
			if len(m) == 0 {
				return 0, usagef("merge: %q matches no object", in)
			}
			paths = append(paths, m...)
			continue
		}
		if !isURL(in) && strings.ContainsAny(in, "*?[") {
			m, err := filepath.Glob(in)
			if err != nil || len(m) == 0 {
				return 0, usagef("merge: %q matches no file", in)
			}
			sort.Strings(m)
			paths = append(paths, m...)
			continue
		}
		paths = append(paths, in)
	}
	var merged *pipeline.Profile
	for _, path := range paths {
		p, err := ReadProfileFile(ctx, path)
		if err != nil {
			return 0, fmt.Errorf("merge: %w", err)
		}
		if merged == nil {
			merged = p
			continue
		}
		if merged, err = pipeline.Merge(merged, p); err != nil {
			return 0, fmt.Errorf("merge %s: %w", path, err)
		}
	}
	n, err := WriteProfileFile(ctx, *out, merged)
	if err != nil {
		return 0, err
	}
	return ExitOK, printSummary(env, ProfileSummary{Out: *out, Mode: merged.Mode.String(), Rows: merged.Rows,
		Columns: len(merged.Columns), Parts: merged.Parts, Bytes: n, Source: merged.Source})
}

// openInput returns the dataset at path for compare: a profile file (detected by its
// magic bytes) or data.
func openInput(ctx context.Context, path string, deps sources.Deps) (pipeline.Dataset, error) {
	if ok, err := IsProfileFile(ctx, path); err != nil {
		return nil, err
	} else if ok {
		p, err := ReadProfileFile(ctx, path)
		if err != nil {
			return nil, err
		}
		return pipeline.ProfileDataset(p, "profile "+path), nil
	}
	return sources.FromPath(path, deps)
}

// profileSourceConfig is the `type: profile` source block.
type profileSourceConfig struct {
	Path string `yaml:"path"`
}

const profileSourceExample = `type: profile
path: profiles/reference.dwprof   # written by driftwatch profile or merge; or s3://, gs://, file:// URL
`

// registerProfileSource adds the `type: profile` source to a registry.
func registerProfileSource(r *sources.Registry) {
	if _, ok := r.Lookup("profile"); ok {
		return
	}
	r.Register(sources.Factory{
		Type:    "profile",
		Summary: "a profile file written by driftwatch profile or merge (a precomputed reference, or a merged window)",
		Example: profileSourceExample,
		New: func(dec sources.Decoder, deps sources.Deps) (pipeline.Dataset, error) {
			var c profileSourceConfig
			if err := dec(&c); err != nil {
				return nil, fmt.Errorf("profile: %w", err)
			}
			if c.Path == "" {
				return nil, fmt.Errorf("profile: path: required")
			}
			return &profileFileDataset{path: resolvePath(deps.BaseDir, c.Path)}, nil
		},
	})
}

// resolvePath resolves a relative local path against base; URLs stay as they are.
func resolvePath(base, p string) string {
	if base == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(base, p)
}

// profileFileDataset reads a profile file when opened.
type profileFileDataset struct{ path string }

func (d *profileFileDataset) String() string { return "profile " + d.path }

func (d *profileFileDataset) Open(ctx context.Context, w pipeline.Window) (pipeline.Source, error) {
	p, err := ReadProfileFile(ctx, d.path)
	if err != nil {
		return nil, &pipeline.DataError{Source: d.String(), Err: err}
	}
	return pipeline.ProfileDataset(p, d.String()).Open(ctx, w)
}

// ProfilesConfig (job key `profiles:`) keeps the profile of each run's current window,
// as PATH/JOB/START_END.dwprof (times in UTC, 20261127T000000Z), for roll-ups.
type ProfilesConfig struct {
	Path string `yaml:"path"` // folder (relative to the config file) or URL prefix
	Mode string `yaml:"mode"` // exact | sketch (default)
}

// RollupConfig (job key `rollup:`) answers the current window by merging kept
// profiles instead of reading the data: those of job Job (its profiles.path) or in
// folder Path, whose windows lie in the current window. Parts of the window without a
// kept profile are read from the job's current data (gaps: read, the default) or fail
// the run (gaps: fail).
type RollupConfig struct {
	Job  string `yaml:"job"`
	Path string `yaml:"path"`
	Gaps string `yaml:"gaps"` // read | fail
}

func validateProfiles(c *Config, p string, jc *JobConfig, add func(path, format string, args ...any)) {
	if pc := jc.Profiles; pc != nil {
		if pc.Path == "" {
			add(p+".profiles.path", "required")
		}
		if pc.Mode != "" {
			if _, err := pipeline.ParseProfileMode(pc.Mode); err != nil {
				add(p+".profiles.mode", "%v", err)
			}
		}
	}
	if rc := jc.Rollup; rc != nil {
		switch {
		case rc.Job == "" && rc.Path == "":
			add(p+".rollup", "job or path is required")
		case rc.Job != "" && rc.Path != "":
			add(p+".rollup", "job and path exclude each other")
		case rc.Job != "":
			other, ok := c.Job(rc.Job)
			if !ok {
				add(p+".rollup.job", "no job %q", rc.Job)
			} else if other.Profiles == nil {
				add(p+".rollup.job", "job %q keeps no profiles (add profiles: to it)", rc.Job)
			}
		}
		if rc.Gaps != "" && rc.Gaps != "read" && rc.Gaps != "fail" {
			add(p+".rollup.gaps", "%q is not valid (valid: read, fail)", rc.Gaps)
		}
	}
}

// profileSetup is a job's profiles and rollup configuration, resolved.
type profileSetup struct {
	keepDir  string // where this job keeps profiles ("" none)
	keepMode pipeline.ProfileMode
	rollDir  string // where roll-ups read profiles ("" none)
	rollMode pipeline.ProfileMode
	gapsFail bool
}

func buildProfileSetup(c *Config, jc *JobConfig) *profileSetup {
	s := &profileSetup{}
	if pc := jc.Profiles; pc != nil {
		s.keepDir = joinPath(resolvePath(c.dir, pc.Path), jc.Name)
		s.keepMode = pipeline.ProfileSketch
		if pc.Mode != "" {
			s.keepMode, _ = pipeline.ParseProfileMode(pc.Mode)
		}
	}
	if rc := jc.Rollup; rc != nil {
		s.rollMode = pipeline.ProfileSketch
		if rc.Job != "" {
			if other, ok := c.Job(rc.Job); ok && other.Profiles != nil {
				s.rollDir = joinPath(resolvePath(c.dir, other.Profiles.Path), rc.Job)
				if other.Profiles.Mode != "" {
					s.rollMode, _ = pipeline.ParseProfileMode(other.Profiles.Mode)
				}
			}
		} else {
			s.rollDir = resolvePath(c.dir, rc.Path)
			if jc.Profiles != nil {
				s.rollMode = s.keepMode
			}
		}
		s.gapsFail = rc.Gaps == "fail"
	}
	return s
}

func joinPath(dir, name string) string {
	if strings.Contains(dir, "://") {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}

const profileTimeLayout = "20060102T150405Z"

// profileName is the file name of a kept profile of window w.
func profileName(w pipeline.Window) string {
	return w.Start.UTC().Format(profileTimeLayout) + "_" + w.End.UTC().Format(profileTimeLayout) + ProfileExt
}

// parseProfileName returns the window of a kept profile's file name.
func parseProfileName(name string) (pipeline.Window, bool) {
	base, ok := strings.CutSuffix(name, ProfileExt)
	if !ok {
		return pipeline.Window{}, false
	}
	a, b, ok := strings.Cut(base, "_")
	if !ok {
		return pipeline.Window{}, false
	}
	s, err1 := time.Parse(profileTimeLayout, a)
	e, err2 := time.Parse(profileTimeLayout, b)
	if err1 != nil || err2 != nil || !e.After(s) {
		return pipeline.Window{}, false
	}
	return pipeline.Window{Start: s, End: e}, true
}

// referenceForEdges returns the profile whose decile edges kept sketch profiles use:
// the job's reference profile, or an exact profile of the valued columns of the
// reference window (whose deciles are the ones a run on the data uses). Nil in exact
// mode (no histogram is kept).
func (s *profileSetup) referenceForEdges(ctx context.Context, j *Job, refW pipeline.Window, mode pipeline.ProfileMode) (*pipeline.Profile, error) {
	if mode != pipeline.ProfileSketch {
		return nil, nil
	}
	src, err := j.ref.Open(ctx, refW)
	if err != nil {
		return nil, fmt.Errorf("open reference: %w", err)
	}
	defer src.Close()
	if p, ok := pipeline.ProfileOf(src); ok {
		return p, nil
	}
	var valued []string
	for _, f := range src.Schema().Fields {
		if f.Kind.Valued() {
			valued = append(valued, f.Name)
		}
	}
	if len(valued) == 0 {
		return nil, nil
	}
	return pipeline.BuildProfile(ctx, src, pipeline.ProfileOptions{Mode: pipeline.ProfileExact, Columns: valued, Source: j.ref.String(), Window: refW})
}

// profileWindow profiles the job's current data in window w.
func (s *profileSetup) profileWindow(ctx context.Context, j *Job, w pipeline.Window, mode pipeline.ProfileMode, edges *pipeline.Profile, o *pipeline.Options) (*pipeline.Profile, error) {
	src, err := j.cur.Open(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("open current: %w", err)
	}
	defer src.Close()
	if _, ok := pipeline.ProfileOf(src); ok {
		return nil, fmt.Errorf("the current data is a profile: nothing to profile")
	}
	return pipeline.BuildProfile(ctx, src, pipeline.ProfileOptions{Mode: mode, Reference: edges, Roles: o.Roles,
		Source: j.cur.String(), Window: w})
}

// rollup replaces the run's current side by the merge of the kept profiles that tile
// the current window (reading the gaps, unless gaps: fail).
func (s *profileSetup) rollup(ctx context.Context, j *Job, in *pipeline.Input, o *pipeline.Options, env Env) error {
	if s == nil || s.rollDir == "" {
		return nil
	}
	w := in.CurrentWindow
	if w.Start.IsZero() || w.End.IsZero() {
		return fmt.Errorf("rollup: the current side needs a window")
	}
	names, err := ListProfileDir(ctx, s.rollDir)
	if err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	type kept struct {
		w    pipeline.Window
		path string
	}
	var ks []kept
	for _, n := range names {
		kw, ok := parseProfileName(n)
		if ok && !kw.Start.Before(w.Start) && !kw.End.After(w.End) {
			ks = append(ks, kept{kw, joinPath(s.rollDir, n)})
		}
	}
	// tile [start, end) with kept windows, longest first at each point; the rest are gaps
	sort.Slice(ks, func(a, b int) bool {
		if !ks[a].w.Start.Equal(ks[b].w.Start) {
			return ks[a].w.Start.Before(ks[b].w.Start)
		}
		return ks[a].w.End.After(ks[b].w.End)
	})
	var parts []*pipeline.Profile
	var gaps []pipeline.Window
	var edges *pipeline.Profile
	cursor := w.Start
	used := 0
	for i := 0; i <= len(ks); i++ {
		next := w.End
		if i < len(ks) {
			if ks[i].w.Start.Before(cursor) {
				continue // overlaps what is covered
			}
			next = ks[i].w.Start
		}
		if next.After(cursor) {
			gaps = append(gaps, pipeline.Window{Start: cursor, End: next})
		}
		if i == len(ks) {
			break
		}
		p, err := ReadProfileFile(ctx, ks[i].path)
		if err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
		parts = append(parts, p)
		used++
		cursor = ks[i].w.End
	}
	if len(gaps) > 0 && s.gapsFail {
		return fmt.Errorf("rollup: no kept profile for %d part(s) of the window, the first [%s, %s)", len(gaps),
			gaps[0].Start.UTC().Format(time.RFC3339), gaps[0].End.UTC().Format(time.RFC3339))
	}
	mode := s.rollMode
	if len(parts) > 0 {
		mode = parts[0].Mode
	}
	if len(gaps) > 0 {
		refW, _ := j.windows(w.End, w)
		if edges, err = s.referenceForEdges(ctx, j, refW, mode); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	for _, g := range gaps {
		p, err := s.profileWindow(ctx, j, g, mode, edges, o)
		if err != nil {
			return fmt.Errorf("rollup: gap [%s, %s): %w", g.Start.UTC().Format(time.RFC3339), g.End.UTC().Format(time.RFC3339), err)
		}
		parts = append(parts, p)
	}
	sort.SliceStable(parts, func(a, b int) bool { return parts[a].Window.Start.Before(parts[b].Window.Start) })
	merged, err := pipeline.MergeAll(parts...)
	if err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	merged.Window = w
	desc := fmt.Sprintf("rollup of %d kept profiles in %s", used, s.rollDir)
	if len(gaps) > 0 {
		desc += fmt.Sprintf(" and %d window(s) read from %s", len(gaps), j.cur)
	}
	env.Logger.Info("rollup", logKeyJob, j.Name, "profiles", used, "gaps", len(gaps))
	in.Current = pipeline.ProfileDataset(merged, desc)
	return nil
}

// keep writes the profile of the run's current window (when the job keeps profiles
// and the current side was read from data).
func (s *profileSetup) keep(ctx context.Context, j *Job, in pipeline.Input, o *pipeline.Options, env Env) error {
	if s == nil || s.keepDir == "" || s.rollDir != "" {
		return nil
	}
	w := in.CurrentWindow
	if w.Start.IsZero() || w.End.IsZero() {
		return fmt.Errorf("keep profile: the current side needs a window")
	}
	edges, err := s.referenceForEdges(ctx, j, in.ReferenceWindow, s.keepMode)
	if err != nil {
		return fmt.Errorf("keep profile: %w", err)
	}
	p, err := s.profileWindow(ctx, j, w, s.keepMode, edges, o)
	if err != nil {
		return fmt.Errorf("keep profile: %w", err)
	}
	path := joinPath(s.keepDir, profileName(w))
	n, err := WriteProfileFile(ctx, path, p)
	if err != nil {
		return fmt.Errorf("keep profile: %w", err)
	}
	env.Logger.Info("profile kept", logKeyJob, j.Name, "path", path, "bytes", n, "rows", p.Rows)
	return nil
}

// IsProfileFile reports whether path (a local file or a URL) starts with the profile
// magic bytes. A path that is not a single readable file is not a profile.
func IsProfileFile(ctx context.Context, path string) (bool, error) {
	if isURL(path) {
		return isProfileURL(ctx, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false, nil
	}
	var b [len(pipeline.ProfileMagic)]byte
	if _, err := f.Read(b[:]); err != nil {
		return false, nil
	}
	return pipeline.IsProfile(b[:]), nil
}
