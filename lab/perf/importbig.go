package perf

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/book"
)

// BigImportResult is the import of a large synthetic book into empty tables: its speed and
// the memory the process took (the import streams: it should not grow with the book).
type BigImportResult struct {
	Rows          int     `json:"rows"`
	FileMiB       float64 `json:"fileMiB"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rowsPerSecond"`
	// MaxRSSMiB is the process's peak resident memory (getrusage) by the import's end;
	// BaseRSSMiB the same before it started.
	MaxRSSMiB  float64 `json:"maxRssMiB"`
	BaseRSSMiB float64 `json:"baseRssMiB"`
	// HeapPeakMiB is the Go heap's peak in use, sampled every 50 ms during the import.
	HeapPeakMiB float64 `json:"heapPeakMiB"`
	// Again is the same book imported a second time (every row unchanged).
	AgainSeconds float64 `json:"againSeconds"`
	// Copy is the demo book's import against plain COPY, in the same run.
	Copy ImportResult `json:"copy"`
}

// ImportBig writes a synthetic book of rows accounts into dir, imports it twice into a
// scratch schema, and compares the demo book's import with COPY.
func ImportBig(ctx context.Context, db *pgxpool.Pool, dir, demoBook string, rows int) (BigImportResult, error) {
	r := BigImportResult{Rows: rows}
	var err error
	if r.Copy, err = ImportAgainstCopy(ctx, db, demoBook); err != nil {
		return r, err
	}
	file := filepath.Join(dir, fmt.Sprintf("big-book-%d.csv", rows))
	if err := writeBigBook(file, rows); err != nil {
		return r, err
	}
	defer func() { _ = os.Remove(file) }() // a generated file, hundreds of MiB
	if fi, err := os.Stat(file); err == nil {
		r.FileMiB = mib(fi.Size())
	}
	pool, drop, err := scratchSchema(ctx, db)
	if err != nil {
		return r, err
	}
	defer drop()
	runtime.GC()
	r.BaseRSSMiB = maxRSSMiB()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the heap's high-water mark during the import
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t0 := time.Now()
	st, err := importFile(ctx, pool, file)
	close(stop)
	<-sampled
	if err != nil {
		return r, err
	}
	r.Seconds = time.Since(t0).Seconds()
	r.RowsPerSecond = float64(rows) / r.Seconds
	r.MaxRSSMiB = maxRSSMiB()
	r.HeapPeakMiB = mib(int64(peak.Load()))
	if st.Imported != rows || st.RejectedTotal != 0 {
		return r, fmt.Errorf("bench import: %d of %d rows imported, %d rejected", st.Imported, rows, st.RejectedTotal)
	}
	t0 = time.Now()
	if st, err = importFile(ctx, pool, file); err != nil {
		return r, err
	}
	r.AgainSeconds = time.Since(t0).Seconds()
	if st.Unchanged != rows {
		return r, fmt.Errorf("bench import: the same book again left %d of %d rows unchanged", st.Unchanged, rows)
	}
	return r, nil
}

func importFile(ctx context.Context, pool *pgxpool.Pool, file string) (book.Stats, error) {
	f, err := os.Open(file)
	if err != nil {
		return book.Stats{}, fmt.Errorf("bench import: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	return book.Import(ctx, pool, f, nil)
}

// writeBigBook writes a valid book of n synthetic accounts (no real person's data).
func writeBigBook(file string, n int) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench import: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	regions := []string{"north", "south", "east", "west"}
	fmt.Fprintln(w, "account_id,name,phone,address,region,timezone,currency,amount_due,days_past_due,status")
	for i := range n {
		fmt.Fprintf(w, "BIG-%07d,Synthetic Person %d,+886 9%02d %03d %03d,No. %d Synthetic Lane,%s,Asia/Taipei,TWD,%d,%d,open\n",
			i, i, i%100, (i/100)%1000, (i/100000)%1000, i, regions[i%4], 100000+(i*7919)%900000, 30+i%150)
	}
	if err := w.Flush(); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("bench import: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench import: %w", err)
	}
	return nil
}

// maxRSSMiB is the process's peak resident memory so far.
func maxRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// BigImportTable is the figures as a table.
func BigImportTable(r BigImportResult) *Table {
	t := &Table{Title: "Importing the overdue book"}
	t.Add("demo book (UCI, 30,000 rows): import", fmt.Sprintf("%.2f s", r.Copy.ImportSeconds), "parse, validate, normalise, COPY into staging, set-based upsert; empty tables")
	t.Add("the same file: plain COPY into text columns", fmt.Sprintf("%.2f s", r.Copy.CopySeconds), "the least PostgreSQL can do with the rows")
	t.Add("import / COPY of the file", fmt.Sprintf("%.2fx", r.Copy.Ratio), "")
	t.Add("the parsed rows: COPY into accounts, phones, addresses", fmt.Sprintf("%.2f s", r.Copy.TablesCopySeconds), "empty, with their keys, indexes and foreign keys: the least PostgreSQL can do to store them")
	t.Add("import / COPY into the tables", fmt.Sprintf("%.2fx", r.Copy.TablesRatio), "target within 3x")
	t.Add(fmt.Sprintf("synthetic book: %d rows (%.0f MiB)", r.Rows, r.FileMiB), fmt.Sprintf("%.1f s", r.Seconds), fmt.Sprintf("%.0f rows/s, empty tables", r.RowsPerSecond))
	t.Add("the same book again", fmt.Sprintf("%.1f s", r.AgainSeconds), "every row unchanged, nothing written")
	t.Add("process peak RSS", fmt.Sprintf("%.0f MiB", r.MaxRSSMiB), fmt.Sprintf("before the import %.0f MiB: the rows stream, memory does not grow with the book", r.BaseRSSMiB))
	t.Add("Go heap peak during the import", fmt.Sprintf("%.0f MiB", r.HeapPeakMiB), "sampled every 50 ms")
	return t
}
