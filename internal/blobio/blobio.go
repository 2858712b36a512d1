// Package blobio reads, writes and lists objects named by URL in object storage
// through gocloud.dev/blob: s3:// (Amazon S3 and S3-compatible servers), gs://
// (Google Cloud Storage) and file:// (a local folder, for tests and NFS mounts).
//
// A URL names a bucket and a key: s3://bucket/path/to/key?region=eu-west-1. The query
// configures the bucket (gocloud.dev's options: region, endpoint, use_path_style,
// disable_https, profile, … for S3; none are needed for GCS). Credentials come from the
// standard environment of each cloud: the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and ~/.aws/config and
// credentials, web identity, EC2/ECS roles) and Google's application default credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata server). A key may end in
// a glob of path.Match ("*" and "[…]"; "?" cannot be used, it starts the query).
package blobio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file://
	_ "gocloud.dev/blob/gcsblob"  // gs://
	_ "gocloud.dev/blob/s3blob"   // s3://
	"gocloud.dev/gcerrors"
)

// Schemes are the URL schemes this package opens.
var Schemes = []string{"s3", "gs", "file"}

// IsURL reports whether p looks like a URL (scheme://…) rather than a local path.
func IsURL(p string) bool {
	i := strings.Index(p, "://")
	return i > 0 && !strings.ContainsAny(p[:i], `/\.`)
}

// Location is a parsed object URL: the bucket (its URL, with the query) and the key.
type Location struct {
	Bucket string // e.g. s3://bucket?region=eu-west-1, file:///data
	Key    string // no leading slash; may be empty (the whole bucket) or a glob
	raw    string
}

func (l Location) String() string { return l.raw }

// Parse splits a URL into bucket and key. For file:// URLs the bucket is the folder
// above the key's first glob character (or the key's folder), so that listing walks
// only that folder.
func Parse(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("url %s: %w", raw, err)
	}
	known := false
	for _, s := range Schemes {
		known = known || u.Scheme == s
	}
	if !known {
		return Location{}, fmt.Errorf("url %s: unsupported scheme %q (valid: s3, gs, file)", raw, u.Scheme)
	}
	if u.Scheme == "file" {
		p := u.Path
		if p == "" || !strings.HasPrefix(p, "/") {
			return Location{}, fmt.Errorf("url %s: a file URL needs an absolute path (file:///path)", raw)
		}
		dir := p
		if i := strings.IndexAny(p, "*["); i >= 0 {
			dir = p[:strings.LastIndex(p[:i], "/")+1]
		} else if st, err := os.Stat(p); err != nil || !st.IsDir() {
			dir = path.Dir(p) + "/"
		}
		key := strings.TrimPrefix(strings.TrimPrefix(p, strings.TrimSuffix(dir, "/")), "/")
		b := url.URL{Scheme: "file", Path: strings.TrimSuffix(dir, "/"), RawQuery: u.RawQuery}
		if b.Path == "" {
			b.Path = "/"
		}
		return Location{Bucket: b.String(), Key: key, raw: raw}, nil
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("url %s: no bucket", raw)
	}
	b := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	return Location{Bucket: b.String(), Key: strings.TrimPrefix(u.Path, "/"), raw: raw}, nil
}

// OpenBucket opens l's bucket; the caller closes it.
func OpenBucket(ctx context.Context, l Location) (*blob.Bucket, error) {
	b, err := blob.OpenBucket(ctx, l.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket of %s: %w", l, err)
	}
	return b, nil
}

// readCloser closes the bucket with the reader.
type readCloser struct {
	*blob.Reader
	b *blob.Bucket
}

func (r readCloser) Close() error { return errors.Join(r.Reader.Close(), r.b.Close()) }

// NewReader opens the object at raw for reading.
func NewReader(ctx context.Context, raw string) (io.ReadCloser, error) {
	l, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	b, err := OpenBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	r, err := b.NewReader(ctx, l.Key, nil)
	if err != nil {
		b.Close()
		return nil, err
	}
	return readCloser{r, b}, nil
}

// ReadPrefix returns the first n bytes of the object at raw (fewer if it is shorter);
// ok is false when the object does not exist.
func ReadPrefix(ctx context.Context, raw string, n int64) (data []byte, ok bool, err error) {
	l, err := Parse(raw)
	if err != nil {
		return nil, false, err
	}
	b, err := OpenBucket(ctx, l)
	if err != nil {
		return nil, false, err
	}
	defer b.Close()
	r, err := b.NewRangeReader(ctx, l.Key, 0, n, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	data, err = io.ReadAll(r)
	return data, err == nil, err
}

// WriteAll writes data to the object at raw, replacing it (an upload is atomic: readers
// see the old object or the new one).
func WriteAll(ctx context.Context, raw string, data []byte) error {
	l, err := Parse(raw)
	if err != nil {
		return err
	}
	b, err := OpenBucket(ctx, l)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.WriteAll(ctx, l.Key, data, nil)
}

// Object is a listed object: its key and size.
type Object struct {
	Key  string
	Size int64
}

// List returns the objects below l's key: the object itself when the key names one,
// else every object under the key as a folder ("key/…"), or, for a glob key, every
// object below the glob's static prefix whose key matches (path.Match on the same
// number of path elements, or below a matching folder).
func List(ctx context.Context, b *blob.Bucket, l Location) ([]Object, error) {
	key := l.Key
	glob := strings.ContainsAny(key, "*[")
	if !glob && key != "" && !strings.HasSuffix(key, "/") {
		if a, err := b.Attributes(ctx, key); err == nil {
			return []Object{{Key: key, Size: a.Size}}, nil
		}
		key += "/"
	}
	prefix := key
	if glob {
		prefix = key[:strings.LastIndex(key[:strings.IndexAny(key, "*[")], "/")+1]
	}
	var out []Object
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", l, err)
		}
		if o.IsDir {
			continue
		}
		if glob && !matchBelow(key, o.Key) {
			continue
		}
		out = append(out, Object{Key: o.Key, Size: o.Size})
	}
	return out, nil
}

// matchBelow reports whether key matches the glob, or lies below a folder that does.
func matchBelow(glob, key string) bool {
	n := strings.Count(glob, "/")
	parts := strings.Split(key, "/")
	if len(parts) <= n {
		return false
	}
	ok, _ := path.Match(glob, strings.Join(parts[:n+1], "/"))
	return ok
}

// Download copies the object key of b to the local file dst (folders created).
func Download(ctx context.Context, b *blob.Bucket, key, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := b.Download(ctx, key, f, nil); err != nil {
		f.Close()
		return fmt.Errorf("download %s: %w", key, err)
	}
	return f.Close()
}
