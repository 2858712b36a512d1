package sources

import (
	"context"
	"fmt"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Shard returns the k-th of n disjoint parts of a dataset built by this package, for
// profiling a dataset in parallel (driftwatch profile --shard k/n). The parts split the
// dataset's units — Parquet row groups, Arrow record batches — in file order (files
// sorted as Open lists them), round robin: unit number g goes to part g mod n. The split
// depends only on the files, so every worker computes the same one, and the parts cover
// every row exactly once. k is 0-based (Airflow's map_index, Kubernetes'
// JOB_COMPLETION_INDEX). A window still applies within each part.
func Shard(ds pipeline.Dataset, k, n int) (pipeline.Dataset, error) {
	if n < 1 || k < 0 || k >= n {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= k < n", k, n)
	}
	if n == 1 {
		return ds, nil
	}
	return &shardDataset{Dataset: ds, k: k, n: n}, nil
}

// ParseShard parses "k/n" (0 <= k < n).
func ParseShard(s string) (k, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &k, &n); err != nil || fmt.Sprintf("%d/%d", k, n) != s {
		return 0, 0, fmt.Errorf("shard %q: want k/n, e.g. 0/8", s)
	}
	if n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("shard %q: want 0 <= k < n", s)
	}
	return k, n, nil
}

type shardDataset struct {
	pipeline.Dataset
	k, n int
}

func (d *shardDataset) String() string {
	return fmt.Sprintf("%s shard %d/%d", d.Dataset.String(), d.k, d.n)
}

// Open opens the whole dataset and masks out the units of the other parts.
func (d *shardDataset) Open(ctx context.Context, w pipeline.Window) (pipeline.Source, error) {
	src, err := d.Dataset.Open(ctx, w)
	if err != nil {
		return nil, err
	}
	s, ok := src.(*source)
	if t, isTemp := src.(*tempSource); isTemp { // object storage (blob.go)
		s, ok = t.source, true
	}
	if !ok {
		src.Close()
		return nil, fmt.Errorf("shard %d/%d of %s: not a file dataset", d.k, d.n, d.Dataset)
	}
	if s.masks == nil {
		s.masks = make([][]unitMask, len(s.files))
		for f, fr := range s.files {
			s.masks[f] = make([]unitMask, fr.units())
			for u := range s.masks[f] {
				s.masks[f][u].n = fr.unitRows(u)
			}
		}
	}
	s.rows = 0
	g := 0
	for f := range s.masks {
		for u := range s.masks[f] {
			if g%d.n != d.k {
				s.masks[f][u] = unitMask{skip: true}
			}
			s.rows += s.masks[f][u].n
			g++
		}
	}
	s.desc = d.String()
	return src, nil
}
