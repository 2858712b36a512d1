package pipeline

import (
	"context"
	"fmt"
)

// Table is an in-memory dataset: whole columns held in memory. It serves tests and
// callers that already hold their data. Windows are ignored (a Table has no timestamps
// of its own); every column must have the same length.
type Table struct {
	Name    string
	Columns []Column
	// ChunkRows splits ReadColumn into chunks of this many rows (default: one chunk).
	ChunkRows int
}

var _ Dataset = (*Table)(nil)

func (t *Table) String() string { return t.Name }

// Open checks that the columns have one length and returns a Source over them.
func (t *Table) Open(ctx context.Context, _ Window) (Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows := -1
	var s Schema
	for i := range t.Columns {
		c := &t.Columns[i]
		if rows >= 0 && c.Len() != rows {
			return nil, fmt.Errorf("table %s: column %q has %d rows, want %d", t.Name, c.Name, c.Len(), rows)
		}
		rows = c.Len()
		s.Fields = append(s.Fields, Field{Name: c.Name, Kind: c.Kind, Type: c.Kind.String()})
	}
	return &tableSource{t: t, schema: s, rows: int64(max(rows, 0))}, nil
}

type tableSource struct {
	t      *Table
	schema Schema
	rows   int64
}

func (s *tableSource) Schema() Schema { return s.schema }
func (s *tableSource) Rows() int64    { return s.rows }
func (s *tableSource) Close() error   { return nil }

func (s *tableSource) ReadColumn(ctx context.Context, name string, fn func(Column) error) error {
	for i := range s.t.Columns {
		c := s.t.Columns[i]
		if c.Name != name {
			continue
		}
		step := s.t.ChunkRows
		n := c.Len()
		if step <= 0 {
			step = max(n, 1)
		}
		for lo := 0; lo < n; lo += step {
			if err := ctx.Err(); err != nil {
				return err
			}
			hi := min(lo+step, n)
			chunk := Column{Name: c.Name, Kind: c.Kind, Dict: c.Dict}
			if c.Kind.Valued() {
				chunk.Float64 = c.Float64[lo:hi]
			} else {
				chunk.Codes = c.Codes[lo:hi]
			}
			if err := fn(chunk); err != nil {
				return err
			}
		}
		return nil
	}
	return &DataError{Source: s.t.Name, Column: name, Err: ErrNoColumn}
}

// StringColumn builds a categorical Column from values; "" in missing positions
// (missing[i] true) is a missing value. It is a convenience for tests and small tables.
func StringColumn(name string, values []string, missing []bool) Column {
	c := Column{Name: name, Kind: KindCategorical, Codes: make([]int32, len(values))}
	index := map[string]int32{}
	for i, v := range values {
		if missing != nil && missing[i] {
			c.Codes[i] = -1
			continue
		}
		code, ok := index[v]
		if !ok {
			code = int32(len(c.Dict))
			index[v] = code
			c.Dict = append(c.Dict, v)
		}
		c.Codes[i] = code
	}
	return c
}
