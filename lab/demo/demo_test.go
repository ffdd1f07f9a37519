package demo

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/casework/casework/book"
)

const uciFile = "../../data/uci-credit-default/default-of-credit-card-clients.csv"

// The real UCI file, read as published, becomes a valid book: 30,000 accounts, every row
// accepted by the book's own parser, mapped as the README says.
func TestUCIBookFromTheRealFile(t *testing.T) {
	f, err := os.Open(uciFile)
	if err != nil {
		t.Skipf("the UCI file is not beside the repo: %v", err)
	}
	defer func() { _ = f.Close() }() // read only
	var out bytes.Buffer
	n, err := UCIBook(f, &out)
	if err != nil || n != 30000 {
		t.Fatalf("UCIBook: %d accounts, %v; want 30000", n, err)
	}
	rows := map[string]book.Row{}
	var rejected []book.RowError
	if err := book.Parse(&out, func(r book.Row) error { rows[r.AccountID] = r; return nil }, func(e book.RowError) { rejected = append(rejected, e) }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 30000 || len(rejected) != 0 {
		t.Fatalf("book: %d rows, rejected %v", len(rows), rejected[:min(3, len(rejected))])
	}
	// ID 503 (the file's first data row): PAY_0 0, BILL_AMT1 221590
	r := rows["UCI-503"]
	if r.DaysPastDue != 0 || r.AmountDue != 22159000 || r.Status != "open" || r.Region != Regions[503%4] || r.Timezone != "Asia/Taipei" || r.Currency != "TWD" {
		t.Errorf("UCI-503 = %+v", r)
	}
	if !strings.Contains(r.Name, "Synthetic") || !strings.Contains(r.Address, "synthetic") {
		t.Errorf("UCI-503's personal data does not look synthetic: %+v", r)
	}
	overdue := 0
	for _, r := range rows {
		if r.DaysPastDue >= 30 {
			overdue++
		}
	}
	if overdue != 6818 { // the data set's README: PAY_0 >= 1 for 6,818 clients
		t.Errorf("accounts 30+ days past due = %d, want 6818", overdue)
	}
}

func TestUCIBookRejectsAFileWithoutTheColumns(t *testing.T) {
	_, err := UCIBook(strings.NewReader("a,b\n1,2\n"), &bytes.Buffer{})
	if err == nil {
		t.Fatal("want an error")
	}
}

// Every scenario appears in any 100 consecutive demo cases, in its share.
func TestScenarioMix(t *testing.T) {
	counts := map[Scenario]int{}
	for i := range 100 {
		counts[ScenarioAt(i)]++
	}
	for _, m := range mix {
		if counts[m.s] != m.share {
			t.Errorf("%s: %d of 100, want %d", m.s, counts[m.s], m.share)
		}
	}
	seen := map[Scenario]bool{}
	for i := range len(mix) {
		seen[ScenarioAt(i)] = true
	}
	if len(seen) != len(mix) {
		t.Errorf("the first %d cases hold only %d scenarios", len(mix), len(seen))
	}
}
