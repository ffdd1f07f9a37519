// Package demo builds Casework's demonstration: a book made from the real UCI "Default of
// Credit Card Clients" data set, demo agents in several regions, and a simulated pool of
// agents that drives every started case through the same update API a real agent tool uses.
package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/casework/casework/book"
)

// Regions are the demo's regions (Taiwan's four).
var Regions = []string{"north", "central", "south", "east"}

// The mapping from a UCI client to an overdue account (documented in the README):
//
//	account_id     UCI-<ID>
//	days_past_due  30 x PAY_0 when PAY_0 >= 1 (months late in September 2005), else 0
//	amount_due     BILL_AMT1 (the September statement, NT$) x 100, in minor units; 0 if not positive
//	status         open; paid when BILL_AMT1 <= 0
//	currency       TWD, timezone Asia/Taipei
//	region         Regions[ID mod 4]
//	name, phone, address: synthesised from the ID, plainly synthetic (the data set has none)
func accountOf(rec []string, col map[string]int) ([]string, error) {
	get := func(name string) (int64, error) {
		v, err := strconv.ParseInt(strings.TrimSpace(rec[col[name]]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", name, rec[col[name]], err)
		}
		return v, nil
	}
	id, err := get("ID")
	if err != nil {
		return nil, err
	}
	pay0, err := get("PAY_0")
	if err != nil {
		return nil, err
	}
	bill, err := get("BILL_AMT1")
	if err != nil {
		return nil, err
	}
	days := int64(0)
	if pay0 >= 1 {
		days = 30 * pay0
	}
	status, amount := "open", bill*100
	if bill <= 0 {
		status, amount = "paid", 0
	}
	return []string{
		fmt.Sprintf("UCI-%d", id),
		fmt.Sprintf("Synthetic Debtor %05d", id),
		fmt.Sprintf("+886 900 %06d", id),
		fmt.Sprintf("No. %d, Synthetic Lane %d, Demo District (synthetic)", id%300+1, id%97+1),
		Regions[id%int64(len(Regions))],
		"Asia/Taipei",
		"TWD",
		strconv.FormatInt(amount, 10),
		strconv.FormatInt(days, 10),
		status,
	}, nil
}

// UCIBook converts the UCI file, read as published (CRLF, two header rows), into a book in
// DESIGN.md's format. It returns the accounts written.
func UCIBook(r io.Reader, w io.Writer) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	col := map[string]int{}
	for line := 1; len(col) == 0; line++ {
		rec, err := cr.Read()
		if err != nil {
			return 0, fmt.Errorf("UCI file: no header row with ID, PAY_0 and BILL_AMT1 (line %d): %w", line, err)
		}
		if len(rec) > 0 && strings.TrimSpace(rec[0]) == "ID" {
			for i, name := range rec {
				col[strings.TrimSpace(name)] = i
			}
		}
	}
	for _, need := range []string{"ID", "PAY_0", "BILL_AMT1"} {
		if _, ok := col[need]; !ok {
			return 0, fmt.Errorf("UCI file: header has no %s column", need)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(book.Columns); err != nil {
		return 0, fmt.Errorf("write book: %w", err)
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("UCI file: %w", err)
		}
		acc, err := accountOf(rec, col)
		if err != nil {
			line, _ := cr.FieldPos(0)
			return n, fmt.Errorf("UCI file line %d: %w", line, err)
		}
		if err := cw.Write(acc); err != nil {
			return n, fmt.Errorf("write book: %w", err)
		}
		n++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("write book: %w", err)
	}
	return n, nil
}

// WriteUCIBook converts the UCI file at in into a book file at out.
func WriteUCIBook(in, out string) (int, error) {
	r, err := os.Open(in)
	if err != nil {
		return 0, fmt.Errorf("demo book: %w", err)
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return 0, fmt.Errorf("demo book: %w", err)
	}
	n, err := UCIBook(r, w)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("demo book: %w", cerr)
	}
	return n, err
}
