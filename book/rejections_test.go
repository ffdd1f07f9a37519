package book

import (
	"fmt"
	"testing"
)

// An import lists the first MaxRejectedListed rejected rows by line, whatever order they
// are found in, and counts them all: a book of bad rows takes bounded memory.
func TestRejectionsKeepTheFirstAndCountAll(t *testing.T) {
	var r rejections
	const n = 5*MaxRejectedListed + 7
	for i := n; i >= 1; i-- { // the last lines first: the kept ones must still be the first
		r.add(RowError{Line: i, Field: "phone", Reason: fmt.Sprint("bad ", i)})
		if len(r.kept) > 2*MaxRejectedListed {
			t.Fatalf("%d rows kept after %d added: unbounded", len(r.kept), n-i+1)
		}
	}
	var st Stats
	r.into(&st)
	if st.RejectedTotal != n || len(st.Rejected) != MaxRejectedListed {
		t.Fatalf("total %d, listed %d; want %d and %d", st.RejectedTotal, len(st.Rejected), n, MaxRejectedListed)
	}
	for i, e := range st.Rejected {
		if e.Line != i+1 {
			t.Fatalf("listed[%d] is line %d, want %d", i, e.Line, i+1)
		}
	}
	var few rejections
	few.add(RowError{Line: 9})
	few.add(RowError{Line: 3})
	few.into(&st)
	if st.RejectedTotal != 2 || len(st.Rejected) != 2 || st.Rejected[0].Line != 3 {
		t.Fatalf("two rejections: total %d, listed %+v", st.RejectedTotal, st.Rejected)
	}
}
