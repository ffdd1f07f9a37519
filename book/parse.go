// Package book reads and imports the overdue book: DESIGN.md's CSV format, one account a
// row. Bad rows are reported with their line number and reason; good rows are imported;
// a re-import updates rows in place and duplicates nothing.
package book

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/casework/casework/contract"
)

// Columns is the header of a book, in DESIGN.md's order (any order is accepted).
var Columns = []string{"account_id", "name", "phone", "address", "region", "timezone", "currency", "amount_due", "days_past_due", "status"}

// Statuses are the account statuses a book may hold.
var Statuses = []string{"open", "disputed", "deceased", "bankrupt", "paid"}

// Row is one account of the book.
type Row struct {
	Line        int
	AccountID   string
	Name        string
	Phone       string
	Address     string
	Region      string
	Timezone    string
	Currency    string
	AmountDue   int64
	DaysPastDue int
	Status      string
}

// RowError is a rejected row: its line number and the reason.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason) }

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	regionPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	phonePattern  = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,24}$`)
	currPattern   = regexp.MustCompile(`^[A-Z]{3}$`)
)

// zones caches time zone look-ups: a book names few zones many times.
type zones map[string]error

func (z zones) check(name string) error {
	if err, ok := z[name]; ok {
		return err
	}
	_, err := time.LoadLocation(name)
	if name == "" || name == "Local" {
		err = errors.New("is required (an IANA time zone such as Asia/Taipei)")
	}
	z[name] = err
	return err
}

// Parse reads a book and calls good for each good row, in file order, and bad for each
// rejected one. A file-level problem (no header, a missing column) is the returned error.
// A later row with an account id seen before is rejected as a duplicate.
func Parse(r io.Reader, good func(Row) error, bad func(RowError)) error {
	return parseBook(r, true, good, bad)
}

// parseBook is Parse; without dedupe, a row whose account id was seen before goes to good
// like any other (Import finds them in PostgreSQL, in memory that does not grow with the
// book).
func parseBook(r io.Reader, dedupe bool, good func(Row) error, bad func(RowError)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("book is empty: want a header row with " + strings.Join(Columns, ","))
	}
	if err != nil {
		return fmt.Errorf("book header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Columns, h) {
			return fmt.Errorf("book header: unknown column %q (want %s)", h, strings.Join(Columns, ","))
		}
		if _, dup := idx[h]; dup {
			return fmt.Errorf("book header: column %q twice", h)
		}
		idx[h] = i
	}
	for _, c := range Columns {
		if _, ok := idx[c]; !ok {
			return fmt.Errorf("book header: missing column %q", c)
		}
	}
	seen := map[string]int{}
	tz := zones{}
	return eachRecord(cr, "read book", bad, func(line int, rec []string) error {
		if len(rec) != len(header) {
			bad(RowError{Line: line, Field: "row", Reason: fmt.Sprintf("has %d fields, the header %d", len(rec), len(header))})
			return nil
		}
		row, rerr := parseRow(line, rec, idx, tz)
		if rerr != nil {
			bad(*rerr)
			return nil
		}
		if !dedupe {
			return good(row)
		}
		if first, dup := seen[row.AccountID]; dup {
			bad(RowError{Line: line, Field: "account_id", Reason: fmt.Sprintf("%s appears again (first on line %d)", row.AccountID, first)})
			return nil
		}
		seen[row.AccountID] = line
		return good(row)
	})
}

// eachRecord reads the records of a CSV file after its header: a line the CSV reader
// cannot read is a bad row (by line), any other read error ends the reading (what
// names it), and each record goes to row with its line.
func eachRecord(cr *csv.Reader, what string, bad func(RowError), row func(line int, rec []string) error) error {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(RowError{Line: pe.Line, Field: "row", Reason: pe.Err.Error()})
				continue
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		line, _ := cr.FieldPos(0)
		if err := row(line, rec); err != nil {
			return err
		}
	}
}

func parseRow(line int, rec []string, idx map[string]int, tz zones) (Row, *RowError) {
	get := func(c string) string { return strings.TrimSpace(rec[idx[c]]) }
	fail := func(field, format string, args ...any) (Row, *RowError) {
		return Row{}, &RowError{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	r := Row{Line: line, AccountID: get("account_id"), Name: get("name"), Phone: get("phone"), Address: get("address"),
		Region: get("region"), Timezone: get("timezone"), Currency: get("currency"), Status: get("status")}
	// text PostgreSQL would refuse (not UTF-8, a NUL) or that is not a name or an address
	// (control characters): refused by line here, never the whole book at the database
	for _, f := range []struct{ name, v string }{{"name", r.Name}, {"address", r.Address}} {
		if err := contract.ValidText(f.name, f.v, 500); err != nil || strings.ContainsAny(f.v, "\n\t") {
			return fail(f.name, "must be UTF-8 text on one line, without control characters")
		}
	}
	switch {
	case !idPattern.MatchString(r.AccountID):
		return fail("account_id", "%q must be 1-64 letters, digits, '.', '_' or '-'", r.AccountID)
	case r.Name == "" || len(r.Name) > 200:
		return fail("name", "is required (at most 200 characters)")
	case !phonePattern.MatchString(r.Phone):
		return fail("phone", "is not a phone number (digits, spaces, '+', '-', '(', ')')")
	case r.Address == "" || len(r.Address) > 500:
		return fail("address", "is required (at most 500 characters)")
	case !regionPattern.MatchString(r.Region):
		return fail("region", "%q must be a lower-case name such as north", r.Region)
	case !currPattern.MatchString(r.Currency):
		return fail("currency", "%q must be an ISO 4217 code such as TWD", r.Currency)
	case !slices.Contains(Statuses, r.Status):
		return fail("status", "%q must be one of %s", r.Status, strings.Join(Statuses, ", "))
	}
	if err := tz.check(r.Timezone); err != nil {
		return fail("timezone", "%q: %v", r.Timezone, err)
	}
	amt, err := strconv.ParseInt(get("amount_due"), 10, 64)
	if err != nil || amt < 0 {
		return fail("amount_due", "%q must be a whole non-negative amount in minor units", get("amount_due"))
	}
	days, err := strconv.Atoi(get("days_past_due"))
	if err != nil || days < 0 || days > 100000 {
		return fail("days_past_due", "%q must be a whole number of days, 0 or more", get("days_past_due"))
	}
	r.AmountDue, r.DaysPastDue = amt, days
	return r, nil
}
