package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/casework/casework/book"
	"github.com/casework/casework/score"
)

// The UCI file's six months of history (PAY_0, PAY_2..PAY_6 months late; BILL_AMT1..6 the
// bills; PAY_AMT1..6 the payments; September back to April 2005) and its outcome (default
// payment next month) become the demo's monthly history and outcomes. SEX is kept apart,
// for the fairness report only.

// uciMonths are the UCI columns of each month, the latest first, and the month.
var uciMonths = []struct {
	late, bill, paid string
	month            time.Time
}{
	{"PAY_0", "BILL_AMT1", "PAY_AMT1", time.Date(2005, 9, 1, 0, 0, 0, 0, time.UTC)},
	{"PAY_2", "BILL_AMT2", "PAY_AMT2", time.Date(2005, 8, 1, 0, 0, 0, 0, time.UTC)},
	{"PAY_3", "BILL_AMT3", "PAY_AMT3", time.Date(2005, 7, 1, 0, 0, 0, 0, time.UTC)},
	{"PAY_4", "BILL_AMT4", "PAY_AMT4", time.Date(2005, 6, 1, 0, 0, 0, 0, time.UTC)},
	{"PAY_5", "BILL_AMT5", "PAY_AMT5", time.Date(2005, 5, 1, 0, 0, 0, 0, time.UTC)},
	{"PAY_6", "BILL_AMT6", "PAY_AMT6", time.Date(2005, 4, 1, 0, 0, 0, 0, time.UTC)},
}

// UCIClient is one client of the UCI file as Casework sees it.
type UCIClient struct {
	ID        int64 // the UCI file's ID
	AccountID string
	History   []score.Month
	Paid      bool   // the outcome: no default the next month
	Sex       string // for the fairness report only: "male" or "female"
}

// ReadUCI reads every client of the UCI file.
func ReadUCI(r io.Reader) ([]UCIClient, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	col := map[string]int{}
	for line := 1; len(col) == 0; line++ {
		rec, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("UCI file: no header row (line %d): %w", line, err)
		}
		if len(rec) > 0 && strings.TrimSpace(rec[0]) == "ID" {
			for i, name := range rec {
				col[strings.TrimSpace(name)] = i
			}
		}
	}
	need := []string{"ID", "LIMIT_BAL", "SEX", "default payment next month"}
	for _, m := range uciMonths {
		need = append(need, m.late, m.bill, m.paid)
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("UCI file: header has no %s column", n)
		}
	}
	var out []UCIClient
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("UCI file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) (int64, error) {
			v, err := strconv.ParseInt(strings.TrimSpace(rec[col[name]]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("UCI file line %d: %s %q: %w", line, name, rec[col[name]], err)
			}
			return v, nil
		}
		id, err := get("ID")
		if err != nil {
			return nil, err
		}
		c := UCIClient{ID: id, AccountID: fmt.Sprintf("UCI-%d", id)}
		limit, err := get("LIMIT_BAL")
		if err != nil {
			return nil, err
		}
		for _, m := range uciMonths {
			late, err := get(m.late)
			if err != nil {
				return nil, err
			}
			bill, err := get(m.bill)
			if err != nil {
				return nil, err
			}
			paid, err := get(m.paid)
			if err != nil {
				return nil, err
			}
			c.History = append(c.History, score.Month{Month: m.month, DaysPastDue: int(max(0, late) * 30), Bill: bill * 100, Paid: paid * 100, CreditLimit: limit * 100})
		}
		def, err := get("default payment next month")
		if err != nil {
			return nil, err
		}
		sex, err := get("SEX")
		if err != nil {
			return nil, err
		}
		c.Paid = def == 0
		c.Sex = map[int64]string{1: "male", 2: "female"}[sex]
		out = append(out, c)
	}
}

// WriteUCIHistory writes the UCI file's history (book.HistoryColumns and credit_limit), outcomes (account_id,
// paid) and fairness attributes (account_id, sex) as CSV files.
func WriteUCIHistory(uciFile, historyFile, outcomesFile, attributesFile string) (int, error) {
	in, err := os.Open(uciFile)
	if err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	defer func() { _ = in.Close() }() // read only
	clients, err := ReadUCI(in)
	if err != nil {
		return 0, err
	}
	write := func(path string, header []string, rows func(w *csv.Writer) error) error {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		w := csv.NewWriter(f)
		err = w.Write(header)
		if err == nil {
			err = rows(w)
		}
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("history: write %s: %w", path, err)
		}
		return nil
	}
	err = write(historyFile, append(slices.Clone(book.HistoryColumns), "credit_limit"), func(w *csv.Writer) error {
		for _, c := range clients {
			for _, m := range c.History {
				if err := w.Write([]string{c.AccountID, m.Month.Format("2006-01"), strconv.Itoa(m.DaysPastDue),
					strconv.FormatInt(m.Bill, 10), strconv.FormatInt(m.Paid, 10), strconv.FormatInt(m.CreditLimit, 10)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write(outcomesFile, []string{"account_id", "paid"}, func(w *csv.Writer) error {
		for _, c := range clients {
			if err := w.Write([]string{c.AccountID, strconv.FormatBool(c.Paid)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write(attributesFile, []string{"account_id", "sex"}, func(w *csv.Writer) error {
		for _, c := range clients {
			if err := w.Write([]string{c.AccountID, c.Sex}); err != nil {
				return err
			}
		}
		return nil
	})
	return len(clients), err
}
