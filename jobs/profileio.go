package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
)

// Profile files live on local disk or in object storage (s3://, gs://, file:// URLs,
// blobio.go). Local writes are atomic (temporary file, fsync, rename); object stores
// replace an object atomically by nature.

// isURL reports whether p is a URL (scheme://…) rather than a local path.
func isURL(p string) bool { return blobio.IsURL(p) }

// ReadProfileFile reads the profile at path (a local file or a URL).
func ReadProfileFile(ctx context.Context, path string) (*pipeline.Profile, error) {
	var r io.ReadCloser
	var err error
	if isURL(path) {
		r, err = openURL(ctx, path)
	} else {
		r, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	defer r.Close()
	p, err := pipeline.ReadProfile(r)
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	return p, nil
}

// WriteProfileFile writes p to path (a local file, atomically, or a URL) and returns
// the bytes written.
func WriteProfileFile(ctx context.Context, path string, p *pipeline.Profile) (int64, error) {
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return 0, err
	}
	var err error
	if isURL(path) {
		err = writeURL(ctx, path, buf.Bytes())
	} else {
		err = atomicfile.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		return 0, fmt.Errorf("write profile %s: %w", path, err)
	}
	return int64(buf.Len()), nil
}

// ListProfileDir returns the names of the profile files (*.dwprof) directly in dir (a
// local folder or a URL prefix), sorted; a folder that does not exist has none.
func ListProfileDir(ctx context.Context, dir string) ([]string, error) {
	var names []string
	if isURL(dir) {
		var err error
		if names, err = listURL(ctx, dir); err != nil {
			return nil, err
		}
	} else {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, ProfileExt) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}
