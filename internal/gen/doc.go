// Package gen generates driftwatch's data: the bundled churn demo (Demo), streamed
// benchmark datasets after the peers' gen_data.py (Bench), the conversion of the peers'
// .npy layout to Parquet (NPYToParquet), and the resource measurement of a command
// (Measure). Everything it writes is deterministic for a seed (math/rand/v2 PCG streams,
// no map order, no wall clock) and written atomically (temporary name, fsync, rename).
//
// Parquet is written column by column through parquet-go's column writers, with the
// columns in the order given (not sorted by name) and dictionary-encoded categorical
// strings.
package gen
