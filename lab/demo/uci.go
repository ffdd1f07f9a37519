// Package demo builds Casework's demonstration: a book made from the real UCI "Default of
// Credit Card Clients" data set, demo agents in several regions, and a simulated pool of
// agents that drives every started case through the same update API a real agent tool uses.
package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

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
func accountOf(c UCIClient) []string {
	latest := c.History[0] // September 2005
	status, amount := "open", latest.Bill
	if latest.Bill <= 0 {
		status, amount = "paid", 0
	}
	id := c.ID
	return []string{
		c.AccountID,
		fmt.Sprintf("Synthetic Debtor %05d", id),
		fmt.Sprintf("+886 900 %06d", id),
		fmt.Sprintf("No. %d, Synthetic Lane %d, Demo District (synthetic)", id%300+1, id%97+1),
		Regions[id%int64(len(Regions))],
		"Asia/Taipei",
		"TWD",
		strconv.FormatInt(amount, 10),
		strconv.Itoa(latest.DaysPastDue),
		status,
	}
}

// UCIBook converts the UCI file, read as published (CRLF, two header rows), into a book in
// DESIGN.md's format. It returns the accounts written.
func UCIBook(r io.Reader, w io.Writer) (int, error) {
	clients, err := ReadUCI(r)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(book.Columns); err != nil {
		return 0, fmt.Errorf("write book: %w", err)
	}
	for _, c := range clients {
		if err := cw.Write(accountOf(c)); err != nil {
			return 0, fmt.Errorf("write book: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, fmt.Errorf("write book: %w", err)
	}
	return len(clients), nil
}

// WriteUCIBook converts the UCI file at in into a book file at out.
func WriteUCIBook(in, out string) (int, error) {
	r, err := os.Open(in)
	if err != nil {
		return 0, fmt.Errorf("demo book: %w", err)
	}
	defer func() { _ = r.Close() }() // read only
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
