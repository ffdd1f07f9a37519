package score

import (
	"fmt"
	"sort"
	"strings"
)

// Markdown is the training report for people: the model and the plain rule side by side.
func (r *Report) Markdown(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "%d accounts (%.1f%% paid): trained on %d, measured on the %d held out (seed %d; %d of them late in the latest month). "+
		"Data digest `%.16s`, model digest `%.16s`; %.1f s.\n\n",
		r.Examples, 100*r.PaidShare, r.Train, r.Test, r.Seed, r.Overdue, r.DataDigest, r.ModelDigest, r.Seconds)
	b.WriteString("| figure | model | plain rule (days past due, then amount) |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| AUC, held out | %.4f | %.4f |\n", r.Model.AUC, r.Plain.AUC)
	fmt.Fprintf(&b, "| AUC, held out and overdue | %.4f | %.4f |\n", r.Model.OverdueAUC, r.Plain.OverdueAUC)
	fmt.Fprintf(&b, "| Brier score (lower is better) | %.4f | %.4f |\n", r.Model.Brier, r.Plain.Brier)
	fmt.Fprintf(&b, "| four-fifths ratio by sex, top %.0f%% | %s | %s |\n", 100*TopShare, fairness(r.Model.Fairness), fairness(r.Plain.Fairness))
	b.WriteString("\nCalibration on the held-out accounts, by decile of the model's score:\n\n| decile | accounts | mean score | paid |\n|---|---|---|---|\n")
	for _, d := range r.Model.Calibration {
		fmt.Fprintf(&b, "| %d | %d | %.3f | %.3f |\n", d.Decile, d.Count, d.MeanScore, d.Observed)
	}
	b.WriteString("\nThe features are the monthly history's alone (" + strings.Join(FeatureNames, ", ") +
		"); sex, marital status, age and education are never inputs. Sex is read only for the four-fifths ratio: " +
		"each group's share selected into the top-ranked group, the lowest over the highest (under 0.8: presumed adverse impact).\n")
	return b.String()
}

func fairness(f *FourFifths) string {
	if f == nil {
		return "—"
	}
	groups := make([]string, 0, len(f.Rates))
	for g := range f.Rates {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = fmt.Sprintf("%s %.3f", g, f.Rates[g])
	}
	return fmt.Sprintf("%.3f (%s)", f.Ratio, strings.Join(parts, ", "))
}
