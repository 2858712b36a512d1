// Package pipeline holds driftwatch's domain types (Column, Schema, Window, Report,
// Finding), the Dataset/Source/Sink interfaces on the consumer side, the method table
// and the run itself. It never imports Arrow or Parquet types, YAML, or the wall clock.
package pipeline

import (
	"context"
	"fmt"
	"time"
)

// Kind is the statistical kind of a column.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindNumeric
	KindCategorical
	KindBoolean
	KindDatetime
	KindText
)

var kindNames = [...]string{"unknown", "numeric", "categorical", "boolean", "datetime", "text"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	p, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// ParseKind parses a kind name as written in config and reports.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return Kind(i), nil
		}
	}
	return KindUnknown, fmt.Errorf("unknown kind %q (valid: numeric, categorical, boolean, datetime, text)", s)
}

// Valued reports whether a column of this kind carries its values in Column.Float64
// (numeric, boolean as 0/1, datetime as Unix seconds) rather than in Codes/Dict.
func (k Kind) Valued() bool { return k == KindNumeric || k == KindBoolean || k == KindDatetime }

// Role is what a column means to the model.
type Role uint8

const (
	RoleFeature Role = iota
	RoleTarget
	RolePrediction
	RoleScore
	RoleLabel
	RoleID
	RoleTimestamp
)

var roleNames = [...]string{"feature", "target", "prediction", "score", "label", "id", "timestamp"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", r)
}

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (a report read back, as the file
// sink does for its trend lines).
func (r *Role) UnmarshalText(b []byte) error {
	for i, name := range roleNames {
		if string(b) == name {
			*r = Role(i)
			return nil
		}
	}
	return fmt.Errorf("unknown role %q (valid: feature, target, prediction, score, label, id, timestamp)", b)
}

// Window is the logical interval [Start, End). The zero Window means "all rows".
type Window struct{ Start, End time.Time }

// IsZero reports whether w selects all rows.
func (w Window) IsZero() bool { return w.Start.IsZero() && w.End.IsZero() }

// Contains reports whether t lies in [Start, End); a zero bound is open.
func (w Window) Contains(t time.Time) bool {
	if !w.Start.IsZero() && t.Before(w.Start) {
		return false
	}
	if !w.End.IsZero() && !t.Before(w.End) {
		return false
	}
	return true
}

// Field describes one column of a dataset.
type Field struct {
	Name string
	Kind Kind
	// Type is the physical/logical type as the file declares it ("double", "int64",
	// "string", "timestamp[us]", "decimal(9,2)", "bool"), for reports and errors.
	Type string
}

// Schema is the merged schema of every file of a dataset.
type Schema struct {
	Fields []Field
	// Findings are facts about the files found while reading the schema: nested or
	// binary columns skipped, a column absent from some files, a type merged across files.
	Findings []Finding
}

// Field returns the field called name.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Column is one chunk of one column, decoded to slices.
//
// Valued kinds (numeric, boolean, datetime) use Float64: NaN (or ±Inf) for missing,
// booleans as 0/1, datetimes as Unix seconds. Categorical and text columns use Codes,
// indexes into Dict, with -1 for missing. Slices may alias reader buffers and are
// valid only during the callback that receives them.
type Column struct {
	Name    string
	Kind    Kind
	Float64 []float64
	Codes   []int32
	Dict    []string
}

// Len is the number of rows in the chunk.
func (c *Column) Len() int {
	if c.Kind.Valued() {
		return len(c.Float64)
	}
	return len(c.Codes)
}

// A Dataset is a configured data location. Construction does no I/O; Open does.
type Dataset interface {
	// Open opens the rows of the dataset that fall in w (a zero Window: all rows).
	Open(ctx context.Context, w Window) (Source, error)
	// String describes the location for reports and logs (never secrets).
	String() string
}

// A Source is an opened dataset, read column at a time so that memory is bounded by
// the columns in flight, not by the dataset.
//
// ReadColumn calls fn with consecutive chunks of the named column, in row order, over
// every file of the dataset, already filtered to the window. It is safe to call
// ReadColumn concurrently for different columns. A column that the schema lacks gives an
// error wrapping ErrNoColumn. Close is idempotent.
type Source interface {
	Schema() Schema
	// Rows is the number of rows in the (window-filtered) dataset.
	Rows() int64
	ReadColumn(ctx context.Context, name string, fn func(Column) error) error
	Close() error
}

// A Sink delivers a report. Write is idempotent per r.RunID.
type Sink interface {
	Write(ctx context.Context, r *Report) error
	Close() error
}
