package demo

import (
	"os"
	"testing"

	"github.com/casework/casework/score"
)

// The score learnt from the real UCI file's history beats the plain rule on the held-out
// 30%, and reaches the target AUC.
func TestScoreOnTheUCIFile(t *testing.T) {
	f, err := os.Open(uciFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	clients, err := ReadUCI(f)
	if err != nil {
		t.Fatal(err)
	}
	ex := make([]score.Example, len(clients))
	for i, c := range clients {
		ex[i] = score.Example{AccountID: c.AccountID, Features: score.Features(c.History), Paid: c.Paid,
			DaysPastDue: c.History[0].DaysPastDue, AmountDue: c.History[0].Bill, Group: c.Sex}
	}
	_, r, err := score.Fit(ex, score.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("model AUC %.4f (overdue %.4f) Brier %.4f fairness %.3f; plain AUC %.4f Brier %.4f; %d test, %.1f s",
		r.Model.AUC, r.Model.OverdueAUC, r.Model.Brier, r.Model.Fairness.Ratio, r.Plain.AUC, r.Plain.Brier, r.Test, r.Seconds)
	if r.Model.AUC < 0.78 || r.Model.AUC <= r.Plain.AUC {
		t.Errorf("AUC %.4f, plain rule %.4f: want at least 0.78 and above the rule", r.Model.AUC, r.Plain.AUC)
	}
}
