// Package jobs is driftwatch's composition root: strict config, the source and sink
// registries, windows, and the command line (Main).
package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
)

// Config is the root of config.yaml.
type Config struct {
	Version int         `yaml:"version"`
	Jobs    []JobConfig `yaml:"jobs" required:"true"`
	// State is where run history, leases and schedule cursors live (history.go).
	State *StateConfig `yaml:"state"`

	// path and dir of the file it was loaded from
	path, dir string
}

// JobConfig is one monitored model.
type JobConfig struct {
	Name     string `yaml:"name" required:"true"`
	Schedule string `yaml:"schedule"` // cron spec, for `schedule` and `backfill`
	// Timezone of window arithmetic (IANA name); default UTC.
	Timezone string `yaml:"timezone"`
	// Catchup is what `schedule` does with scheduled times missed while it was down:
	// all, latest (default) or none (schedule.go).
	Catchup   string        `yaml:"catchup"`
	Timeout   time.Duration `yaml:"timeout"`
	Reference yamlx.Block   `yaml:"reference" required:"true"`
	Current   yamlx.Block   `yaml:"current" required:"true"`
	Columns   ColumnsConfig `yaml:"columns"`
	Drift     DriftConfig   `yaml:"drift"`
	Sinks     []yamlx.Block `yaml:"sinks"`
	// Triggers are the job's retrain rules and where fired triggers go (triggers.go).
	Triggers *TriggersConfig `yaml:"triggers"`
	// Run-level checks (model.go, labels.go).
	Labels       yamlx.Block        `yaml:"labels"` // late labels: a source block plus id, label, timestamp
	Model        ModelConfig        `yaml:"model"`
	Performance  PerformanceConfig  `yaml:"performance"`
	Correlations CorrelationsConfig `yaml:"correlations"`
	Multivariate MultivariateConfig `yaml:"multivariate"`
	// Profiles keeps the profile of every current window; Rollup answers the current
	// window by merging kept profiles (profile.go).
	Profiles *ProfilesConfig `yaml:"profiles"`
	Rollup   *RollupConfig   `yaml:"rollup"`
}

// WindowConfig is the part of a reference/current block that belongs to the job: which
// rows of the dataset a run reads, relative to its logical time T.
//
// current: [T - window, T) (no window: every row).
// reference: [T - offset - window, T - offset) with offset defaulting to the current
// window (the window just before the current one); no window: every row (a snapshot).
type WindowConfig struct {
	Window time.Duration `yaml:"window"`
	Offset time.Duration `yaml:"offset"`
}

var windowKeys = []string{"window", "offset"}

// ColumnsConfig names column roles and overrides kinds.
type ColumnsConfig struct {
	Target     string                   `yaml:"target"`
	Prediction string                   `yaml:"prediction"`
	Scores     []string                 `yaml:"scores"`
	ID         string                   `yaml:"id"`
	Timestamp  string                   `yaml:"timestamp"`
	Features   []string                 `yaml:"features"`
	Exclude    []string                 `yaml:"exclude"`
	Kinds      map[string]pipeline.Kind `yaml:"kinds"`
	// Task is classification or regression (default: inferred from the target).
	Task string `yaml:"task"`
}

// DriftConfig chooses methods and thresholds.
type DriftConfig struct {
	Preset     string                       `yaml:"preset"`  // driftwatch (default) or evidently
	Methods    []string                     `yaml:"methods"` // force these methods instead of the preset
	Binning    string                       `yaml:"binning"` // default | sturges
	DriftShare float64                      `yaml:"drift_share"`
	Thresholds map[string]float64           `yaml:"thresholds"`
	Columns    map[string]ColumnDriftConfig `yaml:"columns"`
}

// ColumnDriftConfig overrides methods and thresholds for one column.
type ColumnDriftConfig struct {
	Methods    []string           `yaml:"methods"`
	Thresholds map[string]float64 `yaml:"thresholds"`
}

// ConfigError is a problem with the configuration; the CLI exits with code 2.
type ConfigError struct {
	Path string // the config file
	Err  error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config %s: %v", e.Path, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads, expands (${VAR}) and strictly decodes a config file, then validates it.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	return ParseConfig(b, path)
}

// ParseConfig decodes and validates config text; path names it in errors and its
// folder resolves relative paths.
func ParseConfig(b []byte, path string) (*Config, error) {
	var c Config
	if err := yamlx.Unmarshal(b, &c); err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	c.path = path
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	c.dir = filepath.Dir(abs)
	if err := c.Validate(); err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	return &c, nil
}

var jobName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks everything that can be checked without I/O, and reports every problem.
func (c *Config) Validate() error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &yamlx.Error{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Version != 0 && c.Version != 1 {
		add("version", "unsupported version %d (valid: 1)", c.Version)
	}
	if len(c.Jobs) == 0 {
		add("jobs", "at least one job is required")
	}
	names := map[string]bool{}
	for i, j := range c.Jobs {
		p := fmt.Sprintf("jobs[%d]", i)
		if !jobName.MatchString(j.Name) {
			add(p+".name", "%q is not a valid job name (letters, digits, _ . -)", j.Name)
		}
		if names[j.Name] {
			add(p+".name", "duplicate job name %q", j.Name)
		}
		names[j.Name] = true
		if j.Timezone != "" {
			if _, err := time.LoadLocation(j.Timezone); err != nil {
				add(p+".timezone", "%v", err)
			}
		}
		for _, side := range []struct {
			name string
			b    yamlx.Block
		}{{"reference", j.Reference}, {"current", j.Current}} {
			var w WindowConfig
			if err := side.b.Pick(&w, windowKeys...); err != nil {
				errs = append(errs, err)
			}
			if w.Window < 0 || w.Offset < 0 {
				add(p+"."+side.name, "window and offset must not be negative")
			}
			if w.Offset > 0 && w.Window == 0 {
				add(p+"."+side.name+".offset", "offset needs a window")
			}
		}
		validateSchedule(p, &c.Jobs[i], add)
		validateProfiles(c, p, &c.Jobs[i], add)
		validateTriggers(p, &c.Jobs[i], add)
		validateModelChecks(p, &c.Jobs[i], add)
		d := j.Drift
		if _, err := pipeline.LookupPreset(d.Preset); err != nil {
			add(p+".drift.preset", "%v", err)
		}
		if _, err := pipeline.ParseMethods(d.Methods); err != nil {
			add(p+".drift.methods", "%v", err)
		}
		if d.Binning != "" && d.Binning != "default" && d.Binning != "sturges" {
			add(p+".drift.binning", "%q is not valid (valid: default, sturges)", d.Binning)
		}
		if d.DriftShare < 0 || d.DriftShare > 1 {
			add(p+".drift.drift_share", "must be in (0, 1], got %g", d.DriftShare)
		}
		for m := range d.Thresholds {
			if !pipeline.IsThresholdKey(m) {
				add(p+".drift.thresholds."+m, "unknown threshold key (valid: %s)", thresholdKeys())
			}
		}
		for col, cd := range d.Columns {
			cp := p + ".drift.columns." + col
			if _, err := pipeline.ParseMethods(cd.Methods); err != nil {
				add(cp+".methods", "%v", err)
			}
			for m := range cd.Thresholds {
				if !pipeline.IsThresholdKey(m) {
					add(cp+".thresholds."+m, "unknown threshold key (valid: %s)", thresholdKeys())
				}
			}
		}
	}
	validateState(c.State, add)
	return errors.Join(errs...)
}

// Job returns the job called name.
func (c *Config) Job(name string) (*JobConfig, bool) {
	for i := range c.Jobs {
		if c.Jobs[i].Name == name {
			return &c.Jobs[i], true
		}
	}
	return nil, false
}

// thresholdKeys lists what may key drift.thresholds: every method name and the
// driftwatch preset's test names and parameters.
func thresholdKeys() string {
	keys := pipeline.MethodNames()
	for k := range pipeline.DriftwatchThresholds() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
