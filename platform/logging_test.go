package platform

import (
	"runtime"
	"testing"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// wrapped logs through a wrapper of one frame, as the SDK's replay-aware workflow logger
// does, having asked the logger to skip that frame (log.Skip).
type wrapped struct{ l log.Logger }

func (w wrapped) Info(msg string) { w.l.Info(msg) }

// here is the line it is called from.
func here() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// The adapter names the code that logged, not itself, nor the SDK's wrapper.
func TestTemporalLoggerCaller(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	l := TemporalLogger(zap.New(core, zap.AddCaller()))
	var lines []int // each call's line: the line after here()'s
	lines = append(lines, here()+1)
	l.Info("direct")
	lines = append(lines, here()+1)
	wrapped{log.Skip(l, 1)}.Info("through a wrapper")
	lines = append(lines, here()+1)
	log.With(l, "k", "v").Info("with fields")
	if logs.Len() != len(lines) {
		t.Fatalf("%d entries, want %d", logs.Len(), len(lines))
	}
	for i, e := range logs.All() {
		if e.Caller.Line != lines[i] {
			t.Errorf("%q logged from %s:%d, want line %d", e.Message, e.Caller.File, e.Caller.Line, lines[i])
		}
	}
}
