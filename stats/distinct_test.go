package stats

import "testing"

func TestUnionDistinctSortedAtMost(t *testing.T) {
	a := []float64{1, 1, 2, 3, 3, 3, 7}
	b := []float64{0, 2, 2, 8, 9}
	// union: 0 1 2 3 7 8 9 = 7 distinct
	for limit, want := range map[int]int{0: 1, 1: 2, 3: 4, 6: 7, 7: 7, 100: 7} {
		if got := UnionDistinctSortedAtMost(a, b, limit); got != want {
			t.Errorf("UnionDistinctSortedAtMost(limit %d) = %d, want %d", limit, got, want)
		}
	}
	if got, want := UnionDistinctSortedAtMost(a, b, 1000), UnionDistinctSorted(a, b); got != want {
		t.Errorf("with a large limit = %d, UnionDistinctSorted = %d", got, want)
	}
	if got := UnionDistinctSortedAtMost(nil, nil, 5); got != 0 {
		t.Errorf("empty = %d, want 0", got)
	}
}
