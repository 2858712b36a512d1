package sources

import (
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
)

var (
	//go:embed examples/parquet.yaml
	exampleParquet string
	//go:embed examples/arrow.yaml
	exampleArrow string
	//go:embed examples/auto.yaml
	exampleAuto string
)

// ParquetConfig configures a "parquet" source.
type ParquetConfig struct {
	// Path is a file, a folder (every *.parquet file below it, recursively, sorted;
	// names starting with "." or "_" are ignored) or a glob.
	Path string `yaml:"path" required:"true"`
	// Timestamp names the datetime column used for window filtering. Without it, a
	// non-zero window selects every row (and the schema carries a warning finding).
	Timestamp string `yaml:"timestamp"`
	// Partitions is auto (default: hive partition folders outside the window are not
	// opened) or ignore; PartitionTimezone is the zone of the partition values
	// (default UTC). See partition.go.
	Partitions        string `yaml:"partitions"`
	PartitionTimezone string `yaml:"partition_timezone"`
}

// Validate reports every problem of the configuration, joined. It does no I/O.
func (c ParquetConfig) Validate() error {
	return validateCommon(c.Path, c.Partitions, c.PartitionTimezone)
}

// Arrow IPC formats.
const (
	ArrowFormatAuto   = "auto"   // the file format when the file starts with "ARROW1", else the stream format
	ArrowFormatFile   = "file"   // the random-access file format (memory-mapped)
	ArrowFormatStream = "stream" // the streaming format
)

// ArrowConfig configures an "arrow" source.
type ArrowConfig struct {
	// Path is a file, a folder (every *.arrow, *.arrows, *.feather and *.ipc file below
	// it, recursively, sorted) or a glob.
	Path      string `yaml:"path" required:"true"`
	Timestamp string `yaml:"timestamp"`
	// Format is file, stream or auto (the default).
	Format            string `yaml:"format"`
	Partitions        string `yaml:"partitions"`
	PartitionTimezone string `yaml:"partition_timezone"`
}

// Validate reports every problem of the configuration, joined. It does no I/O.
func (c ArrowConfig) Validate() error {
	var errs []error
	if err := validateCommon(c.Path, c.Partitions, c.PartitionTimezone); err != nil {
		errs = append(errs, err)
	}
	switch c.Format {
	case ArrowFormatAuto, ArrowFormatFile, ArrowFormatStream:
	default:
		errs = append(errs, fmt.Errorf("format: %q is not one of file, stream, auto", c.Format))
	}
	return errors.Join(errs...)
}

// AutoConfig configures an "auto" source: Parquet and Arrow IPC files, the format
// detected per file.
type AutoConfig struct {
	Path              string `yaml:"path" required:"true"`
	Timestamp         string `yaml:"timestamp"`
	Partitions        string `yaml:"partitions"`
	PartitionTimezone string `yaml:"partition_timezone"`
}

// Validate reports every problem of the configuration, joined. It does no I/O.
func (c AutoConfig) Validate() error {
	return validateCommon(c.Path, c.Partitions, c.PartitionTimezone)
}

func validateCommon(path, partitions, partitionTZ string) error {
	var errs []error
	if _, err := parsePartitioning(partitions, partitionTZ); err != nil {
		errs = append(errs, err)
	}
	switch {
	case strings.TrimSpace(path) == "":
		errs = append(errs, errors.New("path: required"))
	case hasGlobMeta(path):
		if _, err := filepath.Match(path, ""); err != nil {
			errs = append(errs, fmt.Errorf("path: bad glob %q: %w", path, err))
		}
	}
	return errors.Join(errs...)
}

func newParquet(dec Decoder, deps Deps) (pipeline.Dataset, error) {
	var cfg ParquetConfig
	if err := dec(&cfg); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return buildDataset("parquet", cfg.Path, cfg.Timestamp, formatParquet, cfg.Partitions, cfg.PartitionTimezone, deps)
}

func newArrow(dec Decoder, deps Deps) (pipeline.Dataset, error) {
	cfg := ArrowConfig{Format: ArrowFormatAuto}
	if err := dec(&cfg); err != nil {
		return nil, fmt.Errorf("arrow: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("arrow: %w", err)
	}
	f := formatArrowAuto
	switch cfg.Format {
	case ArrowFormatFile:
		f = formatArrowFile
	case ArrowFormatStream:
		f = formatArrowStream
	}
	return buildDataset("arrow", cfg.Path, cfg.Timestamp, f, cfg.Partitions, cfg.PartitionTimezone, deps)
}

func newAuto(dec Decoder, deps Deps) (pipeline.Dataset, error) {
	var cfg AutoConfig
	if err := dec(&cfg); err != nil {
		return nil, fmt.Errorf("auto: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auto: %w", err)
	}
	return buildDataset("auto", cfg.Path, cfg.Timestamp, formatAuto, cfg.Partitions, cfg.PartitionTimezone, deps)
}

// buildDataset is the common tail of the constructors: the partitioning (already
// validated) and a dataset over object storage (blob.go) or local files.
func buildDataset(typ, path, timestamp string, f fileFormat, partitions, tz string, deps Deps) (pipeline.Dataset, error) {
	part, _ := parsePartitioning(partitions, tz)
	if blobio.IsURL(path) {
		return newBlobDataset(typ, path, timestamp, f, part, deps)
	}
	d := newDataset(typ, path, timestamp, f, deps)
	d.part = part
	return d, nil
}

// FromPath returns a dataset over path (a file, a folder or a glob) whose files may be
// Parquet or Arrow IPC: each file's format is detected when the dataset is opened, from
// its magic bytes ("PAR1", "ARROW1", an IPC stream's continuation marker) or else its
// extension. It is the constructor for code and for the compare command; like every
// constructor it does no I/O.
func FromPath(path string, deps Deps) (pipeline.Dataset, error) {
	cfg := AutoConfig{Path: path}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", path, err)
	}
	return buildDataset("auto", path, "", formatAuto, PartitionsAuto, "", deps)
}

// WithTimestamp returns a copy of a dataset built by this package with its timestamp
// column (for window filtering) set to col. It returns ds unchanged for other datasets.
func WithTimestamp(ds pipeline.Dataset, col string) pipeline.Dataset {
	if b, ok := ds.(*blobDataset); ok {
		c := *b
		c.timestamp = col
		return &c
	}
	d, ok := ds.(*dataset)
	if !ok {
		return ds
	}
	c := *d
	c.timestamp = col
	return &c
}
