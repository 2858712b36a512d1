package jobs

import (
	"context"
	"io"
	"strings"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
)

// Profile files in object storage (s3://, gs://, file:// URLs; internal/blobio).

func openURL(ctx context.Context, url string) (io.ReadCloser, error) {
	return blobio.NewReader(ctx, url)
}

func writeURL(ctx context.Context, url string, data []byte) error {
	return blobio.WriteAll(ctx, url, data)
}

// listURL returns the names of the objects directly below the folder URL dir.
func listURL(ctx context.Context, dir string) ([]string, error) {
	l, err := blobio.Parse(dir)
	if err != nil {
		return nil, err
	}
	b, err := blobio.OpenBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if l.Key != "" && !strings.HasSuffix(l.Key, "/") {
		l.Key += "/"
	}
	objs, err := blobio.List(ctx, b, l)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if rel := strings.TrimPrefix(o.Key, l.Key); !strings.Contains(rel, "/") {
			out = append(out, rel)
		}
	}
	return out, nil
}

// isProfileURL reports whether the object at url starts with the profile magic bytes.
func isProfileURL(ctx context.Context, url string) (bool, error) {
	b, ok, err := blobio.ReadPrefix(ctx, url, int64(len(pipeline.ProfileMagic)))
	if err != nil || !ok {
		return false, nil // not a single readable object: data (a folder or a glob)
	}
	return pipeline.IsProfile(b), nil
}
