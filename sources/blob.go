package sources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
)

// Datasets in object storage: a path that is an s3://, gs:// or file:// URL (package
// blobio: the URL's query configures the bucket, credentials come from each cloud's
// standard environment). Open lists the objects (one object, every object below a
// "folder" key, or the keys matching a glob), leaves out hidden and marker files,
// other formats and — with a window, a timestamp column and hive partitions — the
// partition folders outside the window, downloads the rest into a temporary folder
// and opens that as a local dataset with the same settings; Close removes the folder.
// The local files are what the Parquet reader needs (random access to footers and
// column chunks); a window reads only its partitions.

// blobDataset is a dataset whose path is a URL.
type blobDataset struct {
	typ, url  string
	loc       blobio.Location
	timestamp string
	format    fileFormat
	part      partitioning
	deps      Deps
}

func newBlobDataset(typ, url, timestamp string, f fileFormat, part partitioning, deps Deps) (*blobDataset, error) {
	loc, err := blobio.Parse(url)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	return &blobDataset{typ: typ, url: url, loc: loc, timestamp: timestamp, format: f, part: part, deps: deps}, nil
}

func (d *blobDataset) String() string { return d.typ + " " + d.url }

// tempSource is a source over downloaded files; Close removes them.
type tempSource struct {
	*source
	dir string
}

func (s *tempSource) Close() error {
	err := s.source.Close()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Open downloads the objects of the window and opens them.
func (d *blobDataset) Open(ctx context.Context, w pipeline.Window) (pipeline.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := blobio.OpenBucket(ctx, d.loc)
	if err != nil {
		return nil, &pipeline.DataError{Source: d.String(), Err: err}
	}
	defer b.Close()
	objs, err := blobio.List(ctx, b, d.loc)
	if err != nil {
		return nil, &pipeline.DataError{Source: d.String(), Err: err}
	}
	// the listing root: the key's folder for a single object, the key for a folder
	root := d.loc.Key
	if i := strings.IndexAny(root, "*["); i >= 0 {
		root = root[:strings.LastIndex(root[:i], "/")+1]
	}
	single := len(objs) == 1 && objs[0].Key == d.loc.Key
	if single {
		root = path.Dir(root) + "/"
		if root == "./" {
			root = ""
		}
	} else if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	prune := !w.IsZero() && d.timestamp != "" && d.part.mode == PartitionsAuto
	var keep []blobio.Object
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, root)
		if !single && (!hasExt(rel, d.format.exts()) || ignoredRel(rel)) {
			continue
		}
		if prune {
			if s, e, ok := partitionSpan(path.Dir(rel), d.part.loc); ok && (!e.After(w.Start) && !w.Start.IsZero() || !s.Before(w.End) && !w.End.IsZero()) {
				continue
			}
		}
		keep = append(keep, o)
	}
	if len(keep) == 0 && !prune {
		return nil, &pipeline.DataError{Source: d.String(), Err: fmt.Errorf("no objects match (want %s)", strings.Join(d.format.exts(), ", "))}
	}
	dir, err := os.MkdirTemp("", "driftwatch-blob-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (pipeline.Source, error) {
		os.RemoveAll(dir)
		return nil, &pipeline.DataError{Source: d.String(), Err: err}
	}
	local := filepath.Join(dir, "data")
	for _, o := range keep {
		if err := ctx.Err(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		rel := strings.TrimPrefix(o.Key, root)
		if err := blobio.Download(ctx, b, o.Key, filepath.Join(local, filepath.FromSlash(rel))); err != nil {
			return fail(err)
		}
	}
	if err := os.MkdirAll(local, 0o755); err != nil {
		return fail(err)
	}
	p := local
	if single {
		p = filepath.Join(local, path.Base(keep[0].Key))
	}
	ld := newDataset(d.typ, p, d.timestamp, d.format, d.deps)
	ld.part = d.part
	src, err := ld.Open(ctx, w)
	if err != nil {
		os.RemoveAll(dir)
		var de *pipeline.DataError
		if errors.As(err, &de) {
			return nil, &pipeline.DataError{Source: d.String(), Column: de.Column, Err: de.Err}
		}
		return nil, err
	}
	s := src.(*source)
	s.desc = d.String()
	return &tempSource{source: s, dir: dir}, nil
}

// ignoredRel reports whether any element of a relative path is hidden or a marker.
func ignoredRel(rel string) bool {
	for _, e := range strings.Split(rel, "/") {
		if ignored(e) {
			return true
		}
	}
	return false
}
