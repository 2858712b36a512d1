package jobs

import (
	"context"
	"io"
	"net/url"
	"sort"
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

// globURL returns the URLs of the objects matching a URL whose key is a glob, sorted
// by key, with the original query.
func globURL(ctx context.Context, pattern string) ([]string, error) {
	l, err := blobio.Parse(pattern)
	if err != nil {
		return nil, err
	}
	b, err := blobio.OpenBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	objs, err := blobio.List(ctx, b, l)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		v := *u
		if v.Scheme == "file" {
			bu, _ := url.Parse(l.Bucket)
			v.Path = strings.TrimSuffix(bu.Path, "/") + "/" + o.Key
		} else {
			v.Path = "/" + o.Key
		}
		v.RawPath = ""
		out = append(out, v.String())
	}
	sort.Strings(out)
	return out, nil
}
