package pipeline

import "fmt"

// More data-quality findings, from the column reports (the per-column ones, computed
// while the columns are read, are in summary.go and the column plan in run.go):
//
//	missing_share_increase  the missing share rose by >= 5 points (summary.go)
//	unseen_categories       current rows whose category the reference never had (summary.go)
//	out_of_range            current values outside the reference's [min, max] (summary.go)
//	column_missing, column_added, type_changed   schema changes (run.go)
//	constant_column         a column with one value on a side (here)
//	all_null                no value on a side (run.go)
//	duplicate_ids, duplicate_labels, labels_unmatched, score_out_of_range, scores_mismatch
//	                        the model-quality inputs (performance.go)

// moreQualityFindings returns the findings computed from the column reports.
func moreQualityFindings(rep *Report) []Finding {
	var out []Finding
	for _, c := range rep.Columns {
		if c.Status == "skipped" || c.Role == RoleID || c.Role == RoleTimestamp {
			continue
		}
		r, cu := c.Reference, c.Current
		if r.Count == 0 || cu.Count == 0 {
			continue // all_null says it
		}
		switch {
		case cu.Distinct == 1 && r.Distinct > 1:
			out = append(out, Finding{Type: "constant_column", Column: c.Name, Severity: SeverityWarning, Source: "current",
				Message: fmt.Sprintf("column %q has a single value in the current data (%d distinct values in the reference)", c.Name, r.Distinct),
				Value:   NumPtr(1), ReferenceValue: NumPtr(float64(r.Distinct))})
		case cu.Distinct == 1 && r.Distinct == 1:
			out = append(out, Finding{Type: "constant_column", Column: c.Name, Severity: SeverityInfo,
				Message: fmt.Sprintf("column %q has a single value in both datasets: it carries no information", c.Name),
				Value:   NumPtr(1), ReferenceValue: NumPtr(1)})
		case r.Distinct == 1 && cu.Distinct > 1:
			out = append(out, Finding{Type: "constant_column", Column: c.Name, Severity: SeverityInfo, Source: "reference",
				Message: fmt.Sprintf("column %q has a single value in the reference and %d in the current data", c.Name, cu.Distinct),
				Value:   NumPtr(float64(cu.Distinct)), ReferenceValue: NumPtr(1)})
		}
	}
	return out
}
