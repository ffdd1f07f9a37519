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
