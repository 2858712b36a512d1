// Package sources reads datasets of Parquet and Arrow IPC files for driftwatch, column
// at a time, and registers them by `type:` name ("parquet", "arrow", "auto").
//
// A dataset is a file, a folder (every matching file below it, recursively, sorted;
// names starting with "." or "_" ignored) or a glob. Open reads the footers, merges the
// schemas and, for a non-zero window with a timestamp column configured, builds a row
// mask per row group (Parquet) or record batch (Arrow) from the timestamp column,
// skipping Parquet row groups whose min/max statistics lie outside the window. Every
// column then reuses the masks. Windows are half-open, [start, end); rows with a null
// timestamp are in no window.
//
// # Type mapping
//
// Values of numeric, boolean and datetime columns are delivered as float64 (NaN for
// null); categorical columns as int32 codes (-1 for null) into a per-chunk dictionary.
//
//	kind         Parquet (physical / logical or converted type)          Arrow
//	numeric      INT32, INT64, INT(8|16|32|64, signed or not)             int8…int64, uint8…uint64
//	             FLOAT, DOUBLE, FLOAT16 (FIXED_LEN_BYTE_ARRAY(2))         float16, float32, float64
//	             DECIMAL on INT32, INT64, FIXED_LEN_BYTE_ARRAY,           decimal32, decimal64,
//	               BYTE_ARRAY: unscaled·10^-scale, rounded once           decimal128, decimal256
//	             TIME (millis, micros, nanos): seconds since midnight     time32, time64: same
//	                                                                      duration: seconds
//	boolean      BOOLEAN: 0 or 1                                          bool
//	categorical  BYTE_ARRAY annotated STRING/UTF8 or ENUM,                string, large_string,
//	               plain or dictionary-encoded                            string_view, dictionary
//	                                                                      of those
//	datetime     DATE: days·86400                                         date32, date64
//	             TIMESTAMP (millis, micros, nanos; UTC-adjusted or not)   timestamp (s, ms, us, ns;
//	             INT96 (legacy): nanoseconds of day + Julian day            any time zone)
//	skipped      groups, lists, maps (nested); repeated fields;           list, struct, map, union,
//	             BYTE_ARRAY without annotation, FIXED_LEN_BYTE_ARRAY,     binary, fixed_size_binary,
//	             JSON, BSON, UUID, INTERVAL, NULL                         null, extension types
//
// Datetimes are Unix seconds, computed as float64(sec) + float64(nsec)/1e9 with sec and
// nsec of the same sign (as time.Duration.Seconds), as the window bounds are, so each
// row falls in exactly one of two adjacent windows (the float64 resolution near 2026 is
// about 0.24 µs). A dictionary of numbers
// maps like its values. Time zones and isAdjustedToUTC do not change the stored instant.
//
// A skipped column becomes a "skipped_column" warning finding of the schema. Across
// files, a column of the same kind merges (an info finding "type_merged" when the
// declared types differ, e.g. int32 and double); of different kinds, it is dropped
// with an error finding "type_conflict" naming both files; absent from some files, its
// rows there read as missing values ("column_absent_in_files", a warning).
//
// Category strings are copies, never aliases of file buffers, so a consumer may keep
// them; the Float64 and Codes slices are valid only during the callback.
package sources
