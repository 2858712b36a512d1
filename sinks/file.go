package sinks

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/file.yaml
var fileExample string

// FileConfig configures the file sink.
type FileConfig struct {
	// Path is a template: {job}, {run_id}, {logical_date} (2006-01-02) and
	// {logical_time} (20060102T150405Z) are replaced. Relative paths resolve against the
	// config file's folder, and the result must stay inside Base (default: that folder).
	Path   string `yaml:"path" required:"true"`
	Base   string `yaml:"base"`
	Format string `yaml:"format"` // json (default)
	Indent *bool  `yaml:"indent"`
}

// Validate checks the config without I/O.
func (c *FileConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: required"))
	}
	if c.Format != "" && c.Format != "json" {
		errs = append(errs, fmt.Errorf("format: %q is not supported (valid: json)", c.Format))
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
	Summary: "writes the JSON report to a file, atomically (temp file, fsync, rename)",
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

// File writes reports as JSON files.
type File struct {
	cfg  FileConfig
	base string
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
	return &File{cfg: cfg, base: filepath.Clean(base)}
}

// Location returns the file that Write writes for r.
func (f *File) Location(r *pipeline.Report) (string, error) {
	date, ts := "adhoc", "adhoc"
	if r.LogicalTime != nil {
		date = r.LogicalTime.UTC().Format("2006-01-02")
		ts = r.LogicalTime.UTC().Format("20060102T150405Z")
	}
	clean := func(s string) string {
		s = unsafeChars.ReplaceAllString(s, "_")
		if s == "" || s == "." || s == ".." {
			s = "_"
		}
		return s
	}
	p := strings.NewReplacer("{job}", clean(r.Job), "{run_id}", clean(r.RunID), "{logical_date}", date, "{logical_time}", ts).Replace(f.cfg.Path)
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

// Write writes the report atomically; writing the same run again replaces the file.
func (f *File) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.Location(r)
	if err != nil {
		return err
	}
	var b []byte
	if f.cfg.Indent == nil || *f.cfg.Indent {
		b, err = json.MarshalIndent(r, "", "  ")
	} else {
		b, err = json.Marshal(r)
	}
	if err != nil {
		return fmt.Errorf("file: encode report: %w", err)
	}
	return atomicfile.WriteFile(p, append(b, '\n'), 0o644)
}

// Close does nothing; it is idempotent.
func (f *File) Close() error { return nil }
