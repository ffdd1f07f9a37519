package book

import (
	"strings"
	"testing"
)

// A malformed line is a bad row by line, never a crash; good lines around it are kept.
func TestHistoryParseReportsMalformedLines(t *testing.T) {
	in := strings.Join(HistoryColumns, ",") + "\n" +
		"A1,2005-09,0,100,100\n" +
		"a\"b,2005-08,0,1,1\n" + // a bare quote in the first field
		"A1,2005-13,0,1,1\n" +
		"A1,2005-07,30,100,0\n"
	var good []HistoryRow
	var bad []RowError
	if err := parseHistory(strings.NewReader(in), func(r HistoryRow) { good = append(good, r) }, func(e RowError) { bad = append(bad, e) }); err != nil {
		t.Fatal(err)
	}
	if len(good) != 2 || len(bad) != 2 || bad[0].Line != 3 || bad[1].Field != "month" {
		t.Fatalf("good %d, bad %+v: want 2 good and lines 3 (quote) and 4 (month) refused", len(good), bad)
	}
}
