package sources

import (
	"fmt"
	"log/slog"
	"sort"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Decoder decodes a plugin's configuration block into the struct pointed to by into.
// It is strict: unknown keys and type mismatches are errors. The caller (jobs) supplies it.
type Decoder func(into any) error

// Deps are what a factory may use besides its configuration.
type Deps struct {
	Logger *slog.Logger // nil discards
	// BaseDir is the folder relative paths resolve against (the config file's folder);
	// empty means the working directory.
	BaseDir string
}

func (d Deps) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Factory builds a Dataset from a `type:` block of configuration.
type Factory struct {
	Type    string // the `type:` value
	Summary string // one line for `driftwatch plugins`
	Example string // a YAML block that decodes and constructs (tested), rendered into the docs
	New     func(dec Decoder, deps Deps) (pipeline.Dataset, error)
}

// Registry maps source types to their factories. The zero value is not usable: use NewRegistry.
type Registry struct {
	m map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: make(map[string]Factory)} }

// Register adds f. It panics if f.Type is empty, f.New is nil or the type is already
// registered (a programming error, as with database/sql.Register).
func (r *Registry) Register(f Factory) {
	if f.Type == "" {
		panic("sources: Register with empty type")
	}
	if f.New == nil {
		panic(fmt.Sprintf("sources: Register %q with nil New", f.Type))
	}
	if _, dup := r.m[f.Type]; dup {
		panic(fmt.Sprintf("sources: Register called twice for type %q", f.Type))
	}
	r.m[f.Type] = f
}

// Lookup returns the factory registered for typ.
func (r *Registry) Lookup(typ string) (Factory, bool) {
	f, ok := r.m[typ]
	return f, ok
}

// All returns every registered factory, sorted by Type.
func (r *Registry) All() []Factory {
	out := make([]Factory, 0, len(r.m))
	for _, f := range r.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Builtin returns a new registry holding the built-in source types: "arrow", "auto"
// and "parquet".
func Builtin() *Registry {
	r := NewRegistry()
	r.Register(Factory{
		Type:    "parquet",
		Summary: "Parquet files: one file, a folder (recursively) or a glob",
		Example: exampleParquet,
		New:     newParquet,
	})
	r.Register(Factory{
		Type:    "arrow",
		Summary: "Arrow IPC files (file or stream format, memory-mapped): one file, a folder or a glob",
		Example: exampleArrow,
		New:     newArrow,
	})
	r.Register(Factory{
		Type:    "auto",
		Summary: "Parquet or Arrow IPC, detected per file from its magic bytes or extension",
		Example: exampleAuto,
		New:     newAuto,
	})
	return r
}
