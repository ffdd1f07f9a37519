package backoffice

import (
	"fmt"
	"math"
	"testing"
)

// An account always joins the same arm while the shares stay, and the arms take about
// their shares.
func TestArmAssignmentIsStableAndShared(t *testing.T) {
	arms := []Strategy{{Name: "phone-first", Path: "phone-first", Share: 20}, {Name: "visit-first", Path: "visit-first", Share: 80, Champion: true}}
	got := map[string]int{}
	first := map[string]string{}
	for i := range 20000 {
		id := fmt.Sprintf("UCI-%d", i)
		a, ok := ArmOf(arms, id)
		if !ok {
			t.Fatalf("%s: no arm", id)
		}
		got[a.Name]++
		first[id] = a.Name
	}
	for i := 19999; i >= 0; i-- {
		id := fmt.Sprintf("UCI-%d", i)
		if a, _ := ArmOf(arms, id); a.Name != first[id] {
			t.Fatalf("%s moved from %s to %s", id, first[id], a.Name)
		}
	}
	if share := float64(got["phone-first"]) / 20000; math.Abs(share-0.2) > 0.015 {
		t.Errorf("phone-first took %.3f of the accounts, want about 0.2", share)
	}
	// no shares: the champion takes every case
	none := []Strategy{{Name: "a", Champion: false}, {Name: "b", Champion: true}}
	if a, ok := ArmOf(none, "X"); !ok || a.Name != "b" {
		t.Errorf("no shares: %+v %v, want the champion", a, ok)
	}
}

// When the capacity binds, each arm takes its share of it from its own accounts, in the
// order of its screening rule: the score's arm its highest expected recoveries, the plain
// arm its most overdue.
func TestCapacitySharedOutByArmAndRule(t *testing.T) {
	var plain []Ranked
	for i := range 400 {
		// the plain order: most overdue first; the score thinks the least overdue pay best
		plain = append(plain, Ranked{AccountID: fmt.Sprintf("A%03d", i), DaysPastDue: 400 - i, AmountDue: 1000, Expected: float64(i)})
	}
	r := &Ranking{Plain: plain}
	r.Ranked = append([]Ranked(nil), plain...)
	for i, j := 0, len(r.Ranked)-1; i < j; i, j = i+1, j-1 {
		r.Ranked[i], r.Ranked[j] = r.Ranked[j], r.Ranked[i]
	}
	arms := []Strategy{{Name: "plain-arm", Rule: RulePlain, Share: 50}, {Name: "score-arm", Rule: RuleExpectedRecovery, Share: 50}}
	out := r.shareOut(arms, 40)
	if len(out) != 40 {
		t.Fatalf("%d started, want 40", len(out))
	}
	got := map[string][]Ranked{}
	for _, a := range out {
		got[a.Arm] = append(got[a.Arm], a)
		if arm, _ := ArmOf(arms, a.AccountID); arm.Name != a.Arm {
			t.Errorf("%s started in %s, but its arm is %s", a.AccountID, a.Arm, arm.Name)
		}
	}
	if len(got["plain-arm"]) != 20 || len(got["score-arm"]) != 20 {
		t.Fatalf("arms took %d and %d, want 20 each", len(got["plain-arm"]), len(got["score-arm"]))
	}
	// the plain arm's picks are among the most overdue of its accounts, the score arm's
	// among the highest expected recovery of its accounts
	for _, a := range got["plain-arm"] {
		if a.DaysPastDue < 300 {
			t.Errorf("plain arm started %s (%d days): not among its most overdue", a.AccountID, a.DaysPastDue)
		}
	}
	for _, a := range got["score-arm"] {
		if a.Expected < 300 {
			t.Errorf("score arm started %s (expected %.0f): not among its best", a.AccountID, a.Expected)
		}
	}
	if r.shareOut([]Strategy{{Name: "x"}}, 10) != nil {
		t.Error("no shares: shared out anyway")
	}
}

// The whole capacity is used: the rounding's extra goes to arms with a share (never to a
// retired one), and what an arm cannot fill goes to the others.
func TestCapacityIsNeverLost(t *testing.T) {
	var plain []Ranked
	for i := range 301 {
		plain = append(plain, Ranked{AccountID: fmt.Sprintf("B%03d", i), Expected: float64(i)})
	}
	r := &Ranking{Plain: plain, Ranked: plain}
	arms := []Strategy{{Name: "phone-first", Share: 50}, {Name: "visit-first", Share: 50}, {Name: "zz-retired", Share: 0}}
	for _, n := range []int{9, 300, 301} {
		if out := r.shareOut(arms, n); len(out) != n {
			t.Errorf("capacity %d: %d started", n, len(out))
		}
	}
	lopsided := []Strategy{{Name: "tiny", Share: 99}, {Name: "big", Share: 1}}
	small := &Ranking{Plain: plain[:20], Ranked: plain[:20]}
	if out := small.shareOut(lopsided, 20); len(out) != 20 {
		t.Errorf("an arm short of accounts: %d of 20 started", len(out))
	}
}
