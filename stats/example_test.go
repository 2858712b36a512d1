package stats_test

import (
	"fmt"

	"github.com/driftwatch/driftwatch/stats"
)

func ExampleKS() {
	ref := []float64{0.1, 0.9, 1.7, 2.2, 3.3, 4.1, 5.0, 6.2}
	cur := []float64{1.1, 2.4, 3.9, 5.5, 7.0, 8.8, 9.1}
	stats.Sort(ref)
	stats.Sort(cur)
	d, p := stats.KS(ref, cur, stats.KSAuto) // exact: max(n1, n2) <= 10000
	fmt.Printf("D = %.4f, p = %.4f\n", d, p)
	// scipy 1.10: ks_2samp(ref, cur) = KstestResult(statistic=0.4464..., pvalue=0.3728...)

	// Output:
	// D = 0.4464, p = 0.3728
}

func ExamplePSI() {
	ref := []float64{1, 2, 2, 3, 3, 3, 4, 4, 4, 4}
	cur := []float64{1, 1, 2, 2, 3, 3, 3, 4, 5, 5}
	stats.Sort(ref)
	stats.Sort(cur)
	bins := stats.NumericBins(ref, cur, stats.BinningDefault) // 4 distinct values: per value
	fmt.Println(bins.Mode, bins.Keys, bins.Ref, bins.Cur)
	fmt.Printf("PSI = %.4f\n", stats.PSI(bins.Ref, bins.Cur))
	// The empty reference bin (value 5) is filled with share 1e-4.
	// numpy 1.24: np.sum((r - c) * np.log(r / c)) = 2.0046234280544244.

	// Output:
	// per_value [1 2 3 4 5] [1 2 3 4 0] [2 2 3 1 2]
	// PSI = 2.0046
}
