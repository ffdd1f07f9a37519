package book

import (
	"strings"
	"testing"
)

const header = "account_id,name,phone,address,region,timezone,currency,amount_due,days_past_due,status\n"

func parse(t *testing.T, csv string) ([]Row, []RowError, error) {
	t.Helper()
	var rows []Row
	var bad []RowError
	err := Parse(strings.NewReader(csv), func(r Row) error { rows = append(rows, r); return nil }, func(e RowError) { bad = append(bad, e) })
	return rows, bad, err
}

func TestParseReportsBadRowsByLineAndKeepsGoodOnes(t *testing.T) {
	csv := header +
		"A1,Ann Example,+886 900 000001,No. 1 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // line 2: good
		"A2,Bob Example,+886 900 000002,No. 2 Lane,north,Mars/Base,TWD,500000,90,open\n" + // 3: zone
		"A3,Cy Example,not a phone,No. 3 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 4: phone
		"A4,Di Example,+886 900 000004,No. 4 Lane,north,Asia/Taipei,TWD,-5,90,open\n" + // 5: amount
		"A5,Ed Example,+886 900 000005,No. 5 Lane,north,Asia/Taipei,TWD,500000,ninety,open\n" + // 6: days
		"A6,Flo Example,+886 900 000006,No. 6 Lane,north,Asia/Taipei,TWD,500000,90,closed\n" + // 7: status
		"A1,Ann Again,+886 900 000001,No. 1 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 8: duplicate
		"A7,Gus Example,+886 900 000007,No. 7 Lane,north,Asia/Taipei,twd,500000,90,open\n" + // 9: currency
		"A8,too,few\n" + // 10: fields
		"A9,Hal Example,+886 900 000009,No. 9 Lane,North Region,Asia/Taipei,TWD,500000,90,open\n" + // 11: region
		"A10,Ivy Example,+886 900 000010,No. 10 Lane,south,America/New_York,USD,120000,45,disputed\n" // 12: good
	rows, bad, err := parse(t, csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].AccountID != "A1" || rows[1].AccountID != "A10" || rows[1].Line != 12 {
		t.Fatalf("good rows = %+v", rows)
	}
	want := []struct {
		line  int
		field string
	}{{3, "timezone"}, {4, "phone"}, {5, "amount_due"}, {6, "days_past_due"}, {7, "status"}, {8, "account_id"}, {9, "currency"}, {10, "row"}, {11, "region"}}
	if len(bad) != len(want) {
		t.Fatalf("bad rows = %+v, want %d", bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.line || bad[i].Field != w.field || bad[i].Reason == "" {
			t.Errorf("bad row %d = %+v, want line %d field %s", i, bad[i], w.line, w.field)
		}
	}
}

func TestParseFileLevelErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "empty"},
		{"missing column", "account_id,name\nA1,x\n", `missing column "phone"`},
		{"unknown column", strings.TrimSuffix(header, "\n") + ",shoe_size\n", `unknown column "shoe_size"`},
		{"column twice", "account_id,account_id\n", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, tc.csv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseAcceptsAnyColumnOrderAndCRLF(t *testing.T) {
	csv := "status,account_id,name,phone,address,region,timezone,currency,amount_due,days_past_due\r\n" +
		"open,B1,Bea Example,+886 900 000001,No. 1 Lane,east,Asia/Taipei,TWD,100000,30\r\n"
	rows, bad, err := parse(t, csv)
	if err != nil || len(bad) != 0 || len(rows) != 1 || rows[0].Region != "east" || rows[0].DaysPastDue != 30 {
		t.Fatalf("rows %+v bad %+v err %v", rows, bad, err)
	}
}

// Text PostgreSQL would refuse (bytes that are not UTF-8, a NUL) or that is not a name or an
// address (a control character, a line break) is refused by line, the good rows kept.
func TestParseRefusesBadTextByLine(t *testing.T) {
	csv := header +
		"A1,Ann Example,+886 900 000001,No. 1 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // line 2: good
		"A2,B\xe9atrice,+886 900 000002,No. 2 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 3: Windows-1252
		"A3,Cy Example,+886 900 000003,No. 3\x00 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 4: NUL
		"A4,Di\x1bExample,+886 900 000004,No. 4 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 5: ESC
		"A5,\"Ed\nExample\",+886 900 000005,No. 5 Lane,north,Asia/Taipei,TWD,500000,90,open\n" + // 6: a line break
		"A6,Fay Example,+886 900 000006,No. 6 Lane,north,Asia/Taipei,TWD,500000,90,open\n" // 8: good
	rows, bad, err := parse(t, csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].AccountID != "A1" || rows[1].AccountID != "A6" {
		t.Errorf("good rows = %+v, want A1 and A6", rows)
	}
	want := map[int]string{3: "name", 4: "address", 5: "name", 6: "name"}
	if len(bad) != len(want) {
		t.Fatalf("bad rows = %+v, want %v", bad, want)
	}
	for _, e := range bad {
		if want[e.Line] != e.Field {
			t.Errorf("line %d: field %s (%s), want %s", e.Line, e.Field, e.Reason, want[e.Line])
		}
	}
}
