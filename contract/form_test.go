package contract

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBuildFromWhatPeopleType(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	visit, _ := Table.Lookup(ActionVisitReport)
	call, _ := Table.Lookup(ActionPhoneVerified)
	plan, _ := Table.Lookup(ActionNegotiationResult)
	tests := []struct {
		name  string
		spec  *ActionSpec
		in    map[string][]string
		want  string // a fragment of the JSON built, or of the error
		field string // the field an error names ("" when it builds)
	}{
		{"the actor is the signed-in person", call, map[string][]string{"outcome": {"confirmed"}}, `"agentId":"p1"`, ""},
		{"an empty time is now", call, map[string][]string{}, `"calledAt":"2026-11-28T10:00:00Z"`, ""},
		{"never in another's name", call, map[string][]string{"agentId": {"p2"}}, "own name", "agentId"},
		{"the visit's others, and you", visit, map[string][]string{"agentIds": {"f2, f3,f2"}}, `"agentIds":["p1","f2","f3"]`, ""},
		{"a box ticked", visit, map[string][]string{"badgesShown": {"on"}}, `"badgesShown":true`, ""},
		{"a box that is neither", visit, map[string][]string{"badgesShown": {"maybe"}}, "yes or no", "badgesShown"},
		{"money that is not a number", visit, map[string][]string{"monthlyCapacity": {"12,5"}}, "whole number", "monthlyCapacity"},
		{"money past int64", visit, map[string][]string{"monthlyCapacity": {"99999999999999999999"}}, "whole number", "monthlyCapacity"},
		{"two values for one field", call, map[string][]string{"outcome": {"confirmed", "refused"}}, "one value", "outcome"},
		{"installments, one per line", plan, map[string][]string{"installments": {"2026-12-01:100\n\n2027-01-01 200"}}, `[{"dueDate":"2026-12-01","amount":100},{"dueDate":"2027-01-01","amount":200}]`, ""},
		{"an installment that is not DATE:AMOUNT", plan, map[string][]string{"installments": {"2026-12-01:100\nsoon"}}, "YYYY-MM-DD:AMOUNT", "installments[1]"},
		{"an id and a new address", call, map[string][]string{"addressId": {"adr-1"}, "addressId.new": {"No. 1 Road"}}, "not both", "addressId.new"},
		{"a new address of two lines", call, map[string][]string{"addressId.new": {"No. 1\nRoad"}}, "one line", "addressId.new"},
		{"inputs that are not fields are ignored", call, map[string][]string{"mood": {"x"}}, `"agentId":"p1"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.spec.Build(tc.in, "p1", now)
			if tc.field != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Build: %v, want field %s: %s", err, tc.field, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(d.JSON()); !strings.Contains(got, tc.want) {
				t.Errorf("Build: %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBuildStopsReadingPastTheAgentLimit(t *testing.T) {
	visit, _ := Table.Lookup(ActionVisitReport)
	d, err := visit.Build(map[string][]string{"agentIds": {strings.Repeat("f,", 50000)}}, "p1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var p VisitReport
	if err := json.Unmarshal(d.JSON(), &p); err != nil || len(p.AgentIDs) > MaxAgentIDs+1 {
		t.Fatalf("%d ids kept (%v), want at most %d", len(p.AgentIDs), err, MaxAgentIDs+1)
	}
}

// A new address is recorded only once the payload passed the contract's checks, and its id
// is what is sent.
func TestPrepareRecordsOnlyWhatPasses(t *testing.T) {
	var recorded []string
	record := func(_ context.Context, kind FieldKind, text string) (string, error) {
		recorded = append(recorded, string(kind)+":"+text)
		return "adr-77", nil
	}
	now := time.Now()
	bad := map[string][]string{"outcome": {"maybe"}, "addressId.new": {"No. 9 Road"}}
	if _, err := Table.Prepare(context.Background(), ActionPhoneVerified, bad, "p1", now, record); err == nil || len(recorded) != 0 {
		t.Fatalf("a bad outcome: %v, recorded %v; want refused and nothing recorded", err, recorded)
	}
	good := map[string][]string{"outcome": {PhoneAddressChanged}, "addressId.new": {"No. 9 Road"}}
	raw, err := Table.Prepare(context.Background(), ActionPhoneVerified, good, "p1", now, record)
	if err != nil || len(recorded) != 1 || !strings.Contains(string(raw), `"addressId":"adr-77"`) {
		t.Fatalf("Prepare: %s %v, recorded %v", raw, err, recorded)
	}
	failing := func(context.Context, FieldKind, string) (string, error) { return "", errors.New("not your case") }
	_, err = Table.Prepare(context.Background(), ActionPhoneVerified, good, "p1", now, failing)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "addressId.new" || !strings.Contains(err.Error(), "not your case") {
		t.Fatalf("a recorder's refusal: %v, want it next to addressId.new", err)
	}
}

// The workflow drains buffered signals in the table's order: a recorded history replays
// only if the order of the actions it knows stays as it was. New actions go at the end.
func TestTableOrderIsAppendOnly(t *testing.T) {
	frozen := "phone-verified visit-report negotiation-result payment-received anomaly survey-result pause resume reassign close"
	names := strings.Join(Table.Names(), " ")
	if !strings.HasPrefix(names, frozen) {
		t.Fatalf("the action table's order changed:\n%s\nwant it to start with\n%s", names, frozen)
	}
}

// Every entry of the table is complete: a payload that validates, an actor field among its
// fields, roles and stages, labels in both languages.
func TestTableEntriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Table {
		if seen[a.Name] {
			t.Errorf("%s twice", a.Name)
		}
		seen[a.Name] = true
		if _, ok := a.Payload().(interface{ Validate() error }); !ok {
			t.Errorf("%s: payload %T has no Validate", a.Name, a.Payload())
		}
		if _, ok := a.ActorField(); a.Actor != "" && !ok {
			t.Errorf("%s: actor %q is not among its fields", a.Name, a.Actor)
		}
		if len(a.Roles) == 0 || len(a.Stages) == 0 || a.Title.En == "" || a.Title.Zh == "" {
			t.Errorf("%s: roles %v, stages %v, title %+v", a.Name, a.Roles, a.Stages, a.Title)
		}
		tags := map[string]bool{}
		typ := reflect.TypeOf(a.Payload()).Elem()
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			tags[name] = true
		}
		for _, f := range a.Fields {
			if f.Label.En == "" || f.Label.Zh == "" {
				t.Errorf("%s.%s: label %+v", a.Name, f.Name, f.Label)
			}
			if !tags[f.Name] {
				t.Errorf("%s.%s: not a field of %s", a.Name, f.Name, typ)
			}
			delete(tags, f.Name)
		}
		for name := range tags {
			t.Errorf("%s: %s.%s has no field in the table (no form or flag can set it)", a.Name, typ, name)
		}
	}
}
