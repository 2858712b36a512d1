package sinks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks/htmlreport"
)

//go:embed examples/file.yaml
var fileExample string

// FileConfig configures the file sink.
type FileConfig struct {
	// Path is a template: {job}, {run_id}, {logical_date} (2006-01-02) and
	// {logical_time} (20060102T150405Z) are replaced. Relative paths resolve against the
	// config file's folder, and the result must stay inside Base (default: that folder).
	Path string `yaml:"path" required:"true"`
	Base string `yaml:"base"`
	// Format is json (default), html (one self-contained page, sinks/htmlreport), or a
	// list of them, e.g. [json, html], to write one file per format: the first at Path,
	// each other beside it with Path's extension replaced by the format's (.json, .html).
	// A string or a []string.
	Format any   `yaml:"format"`
	Indent *bool `yaml:"indent"`
	// History is how many earlier runs of the job the HTML page draws as trend lines
	// (default 30; 0: none). They are read back from the JSON reports this sink wrote
	// before (so format must include json): the files the path matches for the same job
	// with an earlier logical time, newest first.
	History *int `yaml:"history"`
}

// File formats.
const (
	FormatJSON = "json"
	FormatHTML = "html"
)

// Formats returns the configured formats in order (default: json).
func (c *FileConfig) Formats() ([]string, error) {
	var out []string
	switch f := c.Format.(type) {
	case nil:
		return []string{FormatJSON}, nil
	case string:
		out = []string{f}
	case []string:
		out = f
	case []any:
		for i, v := range f {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("format[%d]: want json or html, got %v", i, v)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("format: want json, html or a list of them, got %v", f)
	}
	if len(out) == 0 {
		return nil, errors.New("format: empty list")
	}
	seen := map[string]bool{}
	for _, s := range out {
		if s != FormatJSON && s != FormatHTML {
			return nil, fmt.Errorf("format: %q is not supported (valid: json, html)", s)
		}
		if seen[s] {
			return nil, fmt.Errorf("format: %s is listed twice", s)
		}
		seen[s] = true
	}
	return out, nil
}

// Validate checks the config without I/O.
func (c *FileConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: required"))
	}
	if _, err := c.Formats(); err != nil {
		errs = append(errs, err)
	}
	if c.History != nil && *c.History < 0 {
		errs = append(errs, fmt.Errorf("history: want 0 or more runs, got %d", *c.History))
	}
	for _, m := range placeholder.FindAllString(c.Path, -1) {
		if !knownPlaceholders[m] {
			errs = append(errs, fmt.Errorf("path: unknown placeholder %s (valid: {job}, {run_id}, {logical_date}, {logical_time})", m))
		}
	}
	return errors.Join(errs...)
}

var (
	placeholder       = regexp.MustCompile(`\{[a-z_]+\}`)
	knownPlaceholders = map[string]bool{"{job}": true, "{run_id}": true, "{logical_date}": true, "{logical_time}": true}
	unsafeChars       = regexp.MustCompile(`[^A-Za-z0-9._-]`)
)

var fileFactory = Factory{
	Type:    "file",
	Summary: "writes the report as JSON and/or a self-contained HTML page, atomically (temp file, fsync, rename)",
	Example: fileExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg FileConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("file: %w", err)
		}
		return NewFile(cfg, deps.BaseDir), nil
	},
}

// File writes reports as JSON and/or HTML files.
type File struct {
	cfg     FileConfig
	base    string
	formats []string
}

var _ pipeline.Sink = (*File)(nil)

// NewFile returns a file sink; baseDir resolves relative paths.
func NewFile(cfg FileConfig, baseDir string) *File {
	base := cfg.Base
	if base == "" {
		base = "."
	}
	if !filepath.IsAbs(base) {
		base = filepath.Join(baseDir, base)
	}
	formats, err := cfg.Formats()
	if err != nil {
		formats = []string{FormatJSON} // NewFile's callers validate; the factory does
	}
	return &File{cfg: cfg, base: filepath.Clean(base), formats: formats}
}

// Location returns the file that Write writes for r in the first format.
func (f *File) Location(r *pipeline.Report) (string, error) {
	ps, err := f.Locations(r)
	if err != nil {
		return "", err
	}
	return ps[0], nil
}

// Locations returns the files that Write writes for r, one per format, in order.
func (f *File) Locations(r *pipeline.Report) ([]string, error) {
	p, err := f.location(r)
	if err != nil {
		return nil, err
	}
	out := []string{p}
	for _, format := range f.formats[1:] {
		q := strings.TrimSuffix(p, filepath.Ext(p)) + "." + format
		if q == p {
			return nil, fmt.Errorf("file: formats %s and %s would both write %s (give path the first format's extension)", f.formats[0], format, p)
		}
		out = append(out, q)
	}
	return out, nil
}

// cleanName makes a job name or run id safe as one path element.
func cleanName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		s = "_"
	}
	return s
}

func (f *File) location(r *pipeline.Report) (string, error) {
	date, ts := "adhoc", "adhoc"
	if r.LogicalTime != nil {
		date = r.LogicalTime.UTC().Format("2006-01-02")
		ts = r.LogicalTime.UTC().Format("20060102T150405Z")
	}
	p := strings.NewReplacer("{job}", cleanName(r.Job), "{run_id}", cleanName(r.RunID), "{logical_date}", date, "{logical_time}", ts).Replace(f.cfg.Path)
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.base, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(f.base, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("file: path %s escapes the base folder %s", p, f.base)
	}
	return p, nil
}

// Write writes the report atomically in each format; writing the same run again replaces
// the files.
func (f *File) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	paths, err := f.Locations(r)
	if err != nil {
		return err
	}
	for i, format := range f.formats {
		var b []byte
		switch format {
		case FormatHTML:
			var buf bytes.Buffer
			var hist []htmlreport.HistoryPoint
			if j := slices.Index(f.formats, FormatJSON); j >= 0 {
				hist = f.history(r, paths[j])
			}
			if err := htmlreport.Write(&buf, r, htmlreport.Options{History: hist}); err != nil {
				return fmt.Errorf("file: %w", err)
			}
			b = buf.Bytes()
		default:
			if f.cfg.Indent == nil || *f.cfg.Indent {
				b, err = json.MarshalIndent(r, "", "  ")
			} else {
				b, err = json.Marshal(r)
			}
			if err != nil {
				return fmt.Errorf("file: encode report: %w", err)
			}
			b = append(b, '\n')
		}
		if err := atomicfile.WriteFile(paths[i], b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing; it is idempotent.
func (f *File) Close() error { return nil }
