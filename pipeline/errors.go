package pipeline

import (
	"errors"
	"fmt"
)

// ErrNoColumn is wrapped by errors for a column that a dataset does not have.
var ErrNoColumn = errors.New("no such column")

// ErrNoRows is wrapped by errors for a dataset (or window) without rows.
var ErrNoRows = errors.New("no rows")

// DataError is a problem with input data: it names the file (or dataset), the column
// where one is concerned, and the problem. The CLI maps it to exit code 1.
type DataError struct {
	Source string // file or dataset description
	Column string // may be empty
	Err    error
}

func (e *DataError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s: column %q: %v", e.Source, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *DataError) Unwrap() error { return e.Err }
