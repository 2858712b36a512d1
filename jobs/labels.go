package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources"
)

// Late labels: a job's `labels:` block is a source block (type, path and the source's
// own keys) plus the keys below, read whole at every run and joined to the current
// window's predictions by id. A re-run of an old window therefore picks up the labels
// that arrived since.
//
//	labels:
//	  type: parquet
//	  path: data/labels          # files, a folder or a glob
//	  id: request_id             # joined to columns.id
//	  label: churned             # the ground truth
//	  timestamp: labelled_at     # optional: when the label arrived (label lag)

// labelKeys are the join keys of a labels block.
type labelKeys struct {
	ID        string `yaml:"id"`
	Label     string `yaml:"label"`
	Timestamp string `yaml:"timestamp"`
}

var labelKeyNames = []string{"id", "label", "timestamp"}

// buildLabels builds the labels dataset from its block. It does no I/O.
func buildLabels(b yamlx.Block, reg *sources.Registry, deps sources.Deps, dir string) (pipeline.Dataset, pipeline.LabelOptions, error) {
	var k labelKeys
	if err := b.Pick(&k, labelKeyNames...); err != nil {
		return nil, pipeline.LabelOptions{}, err
	}
	cols := pipeline.LabelOptions{ID: k.ID, Label: k.Label, Timestamp: k.Timestamp}
	f, ok := reg.Lookup(b.Type)
	if !ok {
		var types []string
		for _, f := range reg.All() {
			types = append(types, f.Type)
		}
		return nil, cols, &yamlx.Error{Path: b.Path + ".type", Msg: fmt.Sprintf("unknown source type %q (valid: %v)", b.Type, types)}
	}
	rest := b.Without(labelKeyNames...)
	ds, err := f.New(rest.Decode, deps)
	if err != nil {
		return nil, cols, fmt.Errorf("%s: %w", b.Path, err)
	}
	var p struct {
		Path string `yaml:"path"`
	}
	_ = b.Pick(&p, "path") // decoded strictly by the source already
	path := p.Path
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return &labelsDataset{Dataset: ds, path: path, cols: cols}, cols, nil
}

// labelsDataset is a labels source that may not exist yet: before the first label
// arrives its folder is empty (or absent), which is "no labels yet", not an error.
type labelsDataset struct {
	pipeline.Dataset
	path string // local path or glob; "" for other locations
	cols pipeline.LabelOptions
}

// Open opens the labels; when the local path has no file yet it returns an empty table
// with the label columns.
func (d *labelsDataset) Open(ctx context.Context, w pipeline.Window) (pipeline.Source, error) {
	if d.path != "" && !anyFile(d.path) {
		t := &pipeline.Table{Name: d.String() + " (no labels yet)", Columns: []pipeline.Column{
			{Name: d.cols.ID, Kind: pipeline.KindCategorical},
			{Name: d.cols.Label, Kind: pipeline.KindNumeric},
		}}
		if d.cols.Timestamp != "" {
			t.Columns = append(t.Columns, pipeline.Column{Name: d.cols.Timestamp, Kind: pipeline.KindDatetime})
		}
		return t.Open(ctx, w)
	}
	return d.Dataset.Open(ctx, w)
}

// anyFile reports whether path (a file, a folder or a glob) names at least one regular
// file (a folder: one below it).
func anyFile(path string) bool {
	if strings.ContainsAny(path, "*?[") {
		m, _ := filepath.Glob(path)
		for _, p := range m {
			if anyFile(p) {
				return true
			}
		}
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if !st.IsDir() {
		return true
	}
	found := false
	filepath.WalkDir(path, func(_ string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
