package perf

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Meta says where and when figures were measured.
type Meta struct {
	Date     string `json:"date"`
	Commit   string `json:"commit"`
	Machine  string `json:"machine"`
	Go       string `json:"go"`
	Temporal string `json:"temporal"` // the topology: dev server or server on PostgreSQL
}

// NewMeta reads the machine (CPU model, cores, memory) and the repository's commit.
func NewMeta(ctx context.Context, temporal string) Meta {
	m := Meta{Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), Temporal: temporal, Commit: "unknown"}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		// the results a run of make bench has just written are not a change to the code
		if out, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results").Output(); err == nil && len(out) > 0 {
			m.Commit += "+changes"
		}
	}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	m.Machine = fmt.Sprintf("%s, %d cores%s, %s/%s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
	return m
}

// Table is a markdown table of figures: rows of (figure, value, note).
type Table struct {
	Title string
	Rows  [][3]string
}

// Add adds a row.
func (t *Table) Add(figure, value, note string) {
	t.Rows = append(t.Rows, [3]string{figure, value, note})
}

// Markdown renders the table under its meta.
func (t *Table) Markdown(m Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", t.Title)
	fmt.Fprintf(&b, "Measured %s at commit `%s` on %s (%s), Temporal: %s.\n\n", m.Date, m.Commit, m.Machine, m.Go, m.Temporal)
	b.WriteString("| figure | value | note |\n|---|---|---|\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	return b.String()
}

// Write writes the results as name.json (meta and figures) and name.md (the table) into dir.
func Write(dir, name string, m Meta, figures any, t *Table) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	b, err := json.MarshalIndent(struct {
		Meta    Meta `json:"meta"`
		Figures any  `json:"figures"`
	}{m, figures}, "", "  ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".md"), []byte(t.Markdown(m)), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// ms renders a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// mib renders bytes in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// say prints a line of a run's narration to out. It is for the person watching: a write
// that fails (a closed terminal or pipe) must not stop a measurement, whose figures go to
// the results files, so its error is dropped, here only.
func say(out io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(out, format, args...)
}

// writeCSV writes rows (a header first) to a CSV file: the round trips one by one, for
// looking into where a tail comes from.
func writeCSV(name string, rows [][]string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
