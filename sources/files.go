package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fileFormat is the format of a dataset's files, or how to find it out.
type fileFormat uint8

const (
	formatAuto        fileFormat = iota // Parquet or Arrow, per file
	formatParquet                       // Parquet
	formatArrowAuto                     // Arrow IPC, file or stream per file
	formatArrowFile                     // Arrow IPC file format
	formatArrowStream                   // Arrow IPC stream format
)

var (
	parquetExts = []string{".parquet", ".parq", ".pq"}
	arrowExts   = []string{".arrow", ".arrows", ".feather", ".ipc"}
)

// exts returns the file name extensions a folder listing keeps for format f.
func (f fileFormat) exts() []string {
	switch f {
	case formatParquet:
		return parquetExts
	case formatArrowAuto, formatArrowFile, formatArrowStream:
		return arrowExts
	}
	return append(append([]string(nil), parquetExts...), arrowExts...)
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// ignored reports whether a file or folder name is hidden or a writer's marker
// (".crc", "_SUCCESS", "_temporary"), as Spark and pyarrow skip them.
func ignored(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// staticPrefix returns the folder part of a glob before its first pattern element.
func staticPrefix(glob string) string {
	i := strings.IndexAny(glob, "*?[")
	if i < 0 {
		return glob
	}
	return filepath.Dir(glob[:i+1])
}

// ignoredBelow reports whether any element of p below the folder prefix is ignored.
func ignoredBelow(prefix, p string) bool {
	rel, err := filepath.Rel(prefix, p)
	if err != nil {
		return ignored(filepath.Base(p))
	}
	for _, e := range strings.Split(rel, string(filepath.Separator)) {
		if e != "." && e != ".." && ignored(e) {
			return true
		}
	}
	return false
}

func hasExt(name string, exts []string) bool {
	e := strings.ToLower(filepath.Ext(name))
	for _, x := range exts {
		if e == x {
			return true
		}
	}
	return false
}

// listFiles resolves path (a file, a folder or a glob) to a sorted list of files. A
// folder contributes every file below it with one of exts; a glob its matches (folders
// among them expanded like folders). No file is an error.
func listFiles(path string, exts []string) ([]string, error) {
	out, err := listFilesSkip(path, exts, nil)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("list %s: no files match (want %s)", path, strings.Join(exts, ", "))
	}
	return out, err
}

// listFilesSkip is listFiles without the error for no files, leaving out every folder
// below path (and every glob match) for which skip (when not nil) returns true: the
// folder is not walked. skip gets a folder for a folder, and a file's folder for a file.
func listFilesSkip(path string, exts []string, skip func(dir string) bool) ([]string, error) {
	var out []string
	if hasGlobMeta(path) {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		static := staticPrefix(path)
		for _, m := range matches {
			if ignoredBelow(static, m) {
				continue
			}
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", path, err)
			}
			if skip != nil {
				dir := m
				if !st.IsDir() {
					dir = filepath.Dir(m)
				}
				if skip(dir) {
					continue
				}
			}
			if st.IsDir() {
				sub, err := walkDir(m, exts, skip)
				if err != nil {
					return nil, fmt.Errorf("list %s: %w", path, err)
				}
				out = append(out, sub...)
				continue
			}
			out = append(out, m)
		}
	} else {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		if !st.IsDir() {
			return []string{path}, nil
		}
		if out, err = walkDir(path, exts, skip); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
	}
	sort.Strings(out)
	return dedupSorted(out), nil
}

func walkDir(root string, exts []string, skip func(dir string) bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if p != root && d.IsDir() && skip != nil && skip(p) {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			if hasExt(p, exts) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

func dedupSorted(s []string) []string {
	j := 0
	for i := range s {
		if i == 0 || s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

var (
	magicParquet = []byte("PAR1")
	magicArrow   = []byte("ARROW1")
	// An IPC stream starts with a message: the continuation marker 0xFFFFFFFF then a
	// length (or, before Arrow 0.15, the length alone).
	magicStream = []byte{0xff, 0xff, 0xff, 0xff}
)

// errUnknownFormat is wrapped when neither the magic bytes nor the extension tell a
// file's format.
var errUnknownFormat = errors.New("not a Parquet or Arrow IPC file")

// detect returns the concrete format of the file at path for a dataset of format f,
// reading its first bytes.
func detect(r io.ReaderAt, name string, f fileFormat) (fileFormat, error) {
	switch f {
	case formatParquet, formatArrowFile, formatArrowStream:
		return f, nil
	}
	var head [8]byte
	n, err := r.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read header: %w", err)
	}
	h := head[:n]
	switch {
	case f == formatAuto && bytes.HasPrefix(h, magicParquet):
		return formatParquet, nil
	case bytes.HasPrefix(h, magicArrow):
		return formatArrowFile, nil
	case bytes.HasPrefix(h, magicStream):
		return formatArrowStream, nil
	case bytes.HasPrefix(h, []byte("FEA1")):
		return 0, errors.New("feather v1 files are not supported (rewrite as feather v2 / Arrow IPC)")
	}
	switch {
	case f == formatAuto && hasExt(name, parquetExts):
		return formatParquet, nil // let the Parquet reader say what is wrong
	case hasExt(name, arrowExts):
		return formatArrowStream, nil // pre-0.15 streams have no continuation marker
	case f == formatArrowAuto:
		return formatArrowStream, nil
	}
	return 0, errUnknownFormat
}
