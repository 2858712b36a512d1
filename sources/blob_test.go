package sources

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources/sourcestest"
)

// fakeS3 starts an S3-compatible server in the test process, over real HTTP, with a
// bucket, and returns a function that makes s3:// URLs for keys in it. Credentials come
// from the environment, as in production (dummy values: the fake does not check
// signatures).
func fakeS3(t *testing.T, bucket string) func(key string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return func(key string) string {
		return fmt.Sprintf("s3://%s/%s?endpoint=%s&use_path_style=true", bucket, key, ts.URL)
	}
}

// upload copies the files below dir to the bucket under prefix.
func upload(t *testing.T, dir string, url func(string) string, prefix string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return blobio.WriteAll(context.Background(), url(prefix+filepath.ToSlash(rel)), b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBlob_S3: a hive-partitioned dataset in an S3-compatible server reads as the same
// dataset on local disk: whole, with a window (partitions outside it are not
// downloaded), one object, a glob, and in shards; it passes the source conformance
// checks; Close removes the downloaded files.
func TestBlob_S3(t *testing.T) {
	url := fakeS3(t, "logs")
	dir := t.TempDir()
	for d := range 4 {
		day := windowBase.Add(time.Duration(d) * 24 * time.Hour)
		var rows []windowRow
		for i := range 300 {
			rows = append(rows, windowRow{TS: day.Add(time.Duration(i) * 4 * time.Minute).UnixMilli(), X: float64(d*1000 + i), Cat: string(rune('a' + i%5))})
		}
		writeParquet(t, filepath.Join(dir, "live", "dt="+day.Format("2006-01-02"), "part-0.parquet"), rows, 100)
	}
	os.WriteFile(filepath.Join(dir, "live", "_SUCCESS"), nil, 0o644)
	upload(t, dir, url, "")
	w := pipeline.Window{Start: windowBase.Add(24 * time.Hour), End: windowBase.Add(60 * time.Hour)}
	cfg := func(path string) Decoder {
		return yamlDecoder(fmt.Sprintf("path: %q\ntimestamp: ts\n", path))
	}
	f, _ := Builtin().Lookup("parquet")
	local, err := f.New(cfg(filepath.Join(dir, "live")), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := f.New(cfg(url("live")), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, win := range []pipeline.Window{{}, w} {
		want := readAll(t, mustOpen(t, local, win), "x")
		src := mustOpen(t, remote, win)
		got := readAll(t, src, "x")
		if !slices.Equal(got.f64, want.f64) || len(got.f64) == 0 {
			t.Errorf("window %v: %d values from S3, %d from disk", win, len(got.f64), len(want.f64))
		}
		if win == w {
			if n := len(src.(*tempSource).files); n != 2 {
				t.Errorf("window of two days opened %d files, want 2 (partitions pruned before download)", n)
			}
		}
		tmp := src.(*tempSource).dir
		src.Close()
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Errorf("Close left %s", tmp)
		}
	}
	one, _ := FromPath(url("live/dt=2026-11-27/part-0.parquet"), Deps{})
	if got := readAll(t, mustOpen(t, one, pipeline.Window{}), "x"); len(got.f64) != 300 {
		t.Errorf("one object: %d values, want 300", len(got.f64))
	}
	glob, _ := FromPath(url("live/dt=*/part-0.parquet"), Deps{})
	if got := readAll(t, mustOpen(t, glob, pipeline.Window{}), "x"); len(got.f64) != 1200 {
		t.Errorf("glob: %d values, want 1200", len(got.f64))
	}
	var total int64
	for k := range 3 {
		sh, _ := Shard(remote, k, 3)
		total += mustOpen(t, sh, pipeline.Window{}).Rows()
	}
	if total != 1200 {
		t.Errorf("three shards hold %d rows, want 1200", total)
	}
	t.Run("conformance", func(t *testing.T) { sourcestest.Run(t, remote, w) })
	missing, _ := FromPath(url("nothing-here"), Deps{})
	if _, err := missing.Open(t.Context(), pipeline.Window{}); err == nil {
		t.Errorf("Open of an empty prefix = nil error")
	}
}

// TestBlob_File: file:// URLs read a local folder through the same code.
func TestBlob_File(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "a", "part-0.parquet"), []windowRow{{TS: windowBase.UnixMilli(), X: 1, Cat: "a"}}, 10)
	ds, err := FromPath("file://"+filepath.Join(dir, "a"), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, mustOpen(t, ds, pipeline.Window{}), "x"); len(got.f64) != 1 {
		t.Errorf("file:// folder: %d values, want 1", len(got.f64))
	}
	if _, err := FromPath("ftp://x/y", Deps{}); err == nil {
		t.Errorf("FromPath(ftp://) = nil error")
	}
}
