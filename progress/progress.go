// Package progress shows how far a long back-office job has come: a bar redrawn in place
// on a terminal, plain lines (every tenth and at the end) when the output is a file or a
// pipe.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar is one job's progress.
type Bar struct {
	w       io.Writer
	label   string
	total   int
	tty     bool
	start   time.Time
	lastPct int
	drawn   time.Time
}

// New starts a bar of total steps on w.
func New(w io.Writer, label string, total int) *Bar {
	return &Bar{w: w, label: label, total: total, tty: IsTerminal(w), start: time.Now(), lastPct: -1}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Set records that n steps are done. The bar is for the person watching: a write that
// fails (a closed terminal or pipe) must not stop the job, so its errors are dropped.
func (b *Bar) Set(n int) {
	pct := 100
	if b.total > 0 {
		pct = min(100, n*100/b.total)
	}
	if b.tty {
		if time.Since(b.drawn) < 100*time.Millisecond && n < b.total {
			return
		}
		b.drawn = time.Now()
		const width = 30
		fill := pct * width / 100
		_, _ = fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d %3d%% %s", b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
			n, b.total, pct, time.Since(b.start).Round(100*time.Millisecond))
		return
	}
	if pct/10 != b.lastPct/10 || (n == b.total && pct != b.lastPct) {
		_, _ = fmt.Fprintf(b.w, "%s: %d/%d (%d%%) after %s\n", b.label, n, b.total, pct, time.Since(b.start).Round(100*time.Millisecond))
	}
	b.lastPct = pct
}

// Done ends the bar's line on a terminal.
func (b *Bar) Done() {
	if b.tty {
		_, _ = fmt.Fprintln(b.w) // as in Set, a failed write must not stop the job
	}
}
