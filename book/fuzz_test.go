package book

import (
	"strings"
	"testing"
)

// FuzzParse: any input either fails at the file level or splits into good and bad rows;
// good rows satisfy the book's rules; nothing panics. The seed corpus runs in `make test`.
func FuzzParse(f *testing.F) {
	f.Add(header + "A1,Ann Example,+886 900 000001,No. 1 Lane,north,Asia/Taipei,TWD,500000,90,open\n")
	f.Add(header + "A1,\"quoted, name\",+1 (555) 010-0000,\"a\nmultiline address\",south,UTC,USD,0,0,paid\r\n")
	f.Add(header + "\"unterminated,x\n")
	f.Add("")
	f.Add(header + "A1,n,+886900000001,a,north,Local,TWD,1,1,open\n")
	f.Add(header + strings.Repeat("A,B\n", 3))
	f.Fuzz(func(t *testing.T, csv string) {
		seen := map[string]bool{}
		err := Parse(strings.NewReader(csv), func(r Row) error {
			if r.AccountID == "" || r.Name == "" || r.AmountDue < 0 || r.DaysPastDue < 0 || r.Timezone == "" || seen[r.AccountID] {
				t.Fatalf("a bad row passed: %+v", r)
			}
			seen[r.AccountID] = true
			return nil
		}, func(e RowError) {
			if e.Line < 1 || e.Field == "" || e.Reason == "" {
				t.Fatalf("a rejection without line, field or reason: %+v", e)
			}
		})
		_ = err // a file-level error is a valid answer to garbage
	})
}
