package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestPlainLinesWhenNotATerminal(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, "import", 1000)
	for i := 1; i <= 1000; i++ {
		b.Set(i)
	}
	b.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[9], "import: 1000/1000 (100%)") || strings.Contains(out.String(), "\r") {
		t.Fatalf("plain output = %q, want 10 lines (every tenth) and no carriage returns", out.String())
	}
}
