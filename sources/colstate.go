package sources

import (
	"math"
	"strings"
	"sync/atomic"

	"github.com/driftwatch/driftwatch/pipeline"
)

// internLimit caps the strings one ReadColumn call interns: category names repeat
// across chunks and are copied once; past the cap (identifiers, free text) each chunk
// copies its own.
const internLimit = 1 << 16

// colState holds the reusable buffers of one ReadColumn call: the chunk being built
// and, for categorical columns, its dictionary. Category strings are always copies
// (never aliases of file buffers or mapped memory), so callers may keep them.
type colState struct {
	kind  pipeline.Kind
	batch int // rows per chunk, where the reader chooses
	units *atomic.Int64

	f64   []float64
	codes []int32
	dict  []string

	index   map[string]int32 // dict entry -> code, for entries [0, indexed)
	indexed int
	intern  map[string]string

	// dictBase is the file dictionary whose entries open dict (codes of its pages are
	// used as they are); nil when the chunk has none.
	dictBase any

	// cache of the last file dictionary converted: its identity and values.
	cacheKey any
	cacheF   []float64
	cacheS   []string

	tmp   []float64
	remap []int32
}

func newColState(kind pipeline.Kind, batch int, units *atomic.Int64) *colState {
	cs := &colState{kind: kind, batch: batch, units: units}
	if !kind.Valued() {
		cs.index = make(map[string]int32)
		cs.intern = make(map[string]string)
	}
	return cs
}

func (cs *colState) len() int {
	if cs.kind.Valued() {
		return len(cs.f64)
	}
	return len(cs.codes)
}

// reset empties the chunk, keeping its buffers.
func (cs *colState) reset() {
	cs.f64 = cs.f64[:0]
	cs.codes = cs.codes[:0]
	cs.dict = cs.dict[:0]
	if cs.indexed > 0 {
		clear(cs.index)
		cs.indexed = 0
	}
	cs.dictBase = nil
}

func (cs *colState) column(name string) pipeline.Column {
	c := pipeline.Column{Name: name, Kind: cs.kind}
	if cs.kind.Valued() {
		c.Float64 = cs.f64
	} else {
		c.Codes = cs.codes
		c.Dict = cs.dict
	}
	return c
}

// appendMissing appends n missing values.
func (cs *colState) appendMissing(n int) {
	if cs.kind.Valued() {
		nan := math.NaN()
		for range n {
			cs.f64 = append(cs.f64, nan)
		}
		return
	}
	for range n {
		cs.codes = append(cs.codes, -1)
	}
}

// filter keeps the rows i of the chunk with keep[i] set (keep may be longer).
func (cs *colState) filter(keep []bool) {
	if cs.kind.Valued() {
		j := 0
		for i, v := range cs.f64 {
			if keep[i] {
				cs.f64[j] = v
				j++
			}
		}
		cs.f64 = cs.f64[:j]
		return
	}
	j := 0
	for i, v := range cs.codes {
		if keep[i] {
			cs.codes[j] = v
			j++
		}
	}
	cs.codes = cs.codes[:j]
}

// syncIndex adds the dict entries not yet in the index.
func (cs *colState) syncIndex() {
	for i := cs.indexed; i < len(cs.dict); i++ {
		cs.index[cs.dict[i]] = int32(i)
	}
	cs.indexed = len(cs.dict)
}

// codeBytes returns the code of b in the chunk dictionary, adding it if new.
func (cs *colState) codeBytes(b []byte) int32 {
	if cs.indexed < len(cs.dict) {
		cs.syncIndex()
	}
	if c, ok := cs.index[string(b)]; ok {
		return c
	}
	return cs.add(cs.internBytes(b))
}

// codeString is codeBytes for a string that may alias a file buffer.
func (cs *colState) codeString(s string) int32 {
	if cs.indexed < len(cs.dict) {
		cs.syncIndex()
	}
	if c, ok := cs.index[s]; ok {
		return c
	}
	return cs.add(cs.internString(s))
}

func (cs *colState) add(s string) int32 {
	c := int32(len(cs.dict))
	cs.dict = append(cs.dict, s)
	cs.index[s] = c
	cs.indexed++
	return c
}

func (cs *colState) internBytes(b []byte) string {
	if s, ok := cs.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(cs.intern) < internLimit {
		cs.intern[s] = s
	}
	return s
}

func (cs *colState) internString(v string) string {
	if s, ok := cs.intern[v]; ok {
		return s
	}
	s := strings.Clone(v)
	if len(cs.intern) < internLimit {
		cs.intern[s] = s
	}
	return s
}

// useDict makes the entries of the file dictionary key (converted to strs) available
// to the chunk and returns the table from the file dictionary's indexes to chunk codes:
// nil when they are the same (the chunk's dictionary starts with the file's).
func (cs *colState) useDict(key any, strs []string) []int32 {
	if cs.dictBase == key {
		return nil
	}
	if len(cs.dict) == 0 {
		cs.dict = append(cs.dict, strs...)
		cs.dictBase = key
		return nil
	}
	cs.remap = cs.remap[:0]
	for _, s := range strs {
		cs.remap = append(cs.remap, cs.codeString(s))
	}
	return cs.remap
}
