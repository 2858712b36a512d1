// Package sinks delivers reports: JSON report files, stdout, and (later) metrics,
// history and trigger receivers. Each sink is a registered plugin: a strict config, a
// constructor that does no I/O, and a tested example.
package sinks

import (
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Decoder decodes a sink's config block strictly into the given pointer.
type Decoder func(into any) error

// Deps are what a sink may use besides its config.
type Deps struct {
	Logger  *slog.Logger
	BaseDir string    // relative paths resolve against it (the config file's folder)
	Stdout  io.Writer // for the stdout sink
}

// Factory builds one type of sink.
type Factory struct {
	Type    string
	Summary string
	Example string // YAML of one sink entry; tested and rendered into the docs
	New     func(dec Decoder, deps Deps) (pipeline.Sink, error)
}

// Registry maps sink types to factories.
type Registry struct{ m map[string]Factory }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]Factory{}} }

// Register adds f; it panics on an empty or duplicate Type, like database/sql.
func (r *Registry) Register(f Factory) {
	if f.Type == "" || f.New == nil {
		panic("sinks: Register of a factory without Type or New")
	}
	if _, dup := r.m[f.Type]; dup {
		panic("sinks: Register called twice for " + f.Type)
	}
	r.m[f.Type] = f
}

// Lookup returns the factory of typ.
func (r *Registry) Lookup(typ string) (Factory, bool) {
	f, ok := r.m[typ]
	return f, ok
}

// All returns every factory, sorted by Type.
func (r *Registry) All() []Factory {
	out := make([]Factory, 0, len(r.m))
	for _, f := range r.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	var out []string
	for _, f := range r.All() {
		out = append(out, f.Type)
	}
	return out
}

// Builtin returns the registry of built-in sinks (an explicit list, no init side effects).
func Builtin() *Registry {
	r := NewRegistry()
	r.Register(fileFactory)
	r.Register(stdoutFactory)
	r.Register(prometheusFactory)
	r.Register(sqlFactory)
	r.Register(parquetFactory)
	r.Register(webhookFactory)
	r.Register(slackFactory)
	r.Register(airflowFactory)
	r.Register(commandFactory)
	return r
}

// New builds a sink of type typ from its config.
func (r *Registry) New(typ string, dec Decoder, deps Deps) (pipeline.Sink, error) {
	f, ok := r.Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("unknown sink type %q (valid: %v)", typ, r.Types())
	}
	return f.New(dec, deps)
}
