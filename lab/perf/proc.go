// Package perf measures Casework: the speed benchmark against the Temporal floor, cases
// parked at scale, and the fault run (workers killed, PostgreSQL and Temporal restarted).
// Its programs run the worker as a child process, so its memory and goroutines are its
// own, and so it can be killed.
package perf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a worker process the benchmark started and watches.
type Proc struct {
	Name        string
	MetricsAddr string // where its /metrics is served
	cmd         *exec.Cmd
	logFile     *os.File
	exited      chan struct{}

	mu      sync.Mutex
	samples []Sample
}

// Sample is one reading of a process: resident memory and goroutines.
type Sample struct {
	RSSBytes   int64
	Goroutines int
}

// StartProc starts a program (a worker) with env added to the benchmark's own, its output
// going to logPath, its metrics on a free port, and waits until it serves them.
func StartProc(ctx context.Context, name, logPath string, env []string, program string, args ...string) (*Proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: log: %w", name, err)
	}
	p := &Proc{Name: name, MetricsAddr: fmt.Sprintf("127.0.0.1:%d", port), logFile: f, exited: make(chan struct{})}
	p.cmd = exec.Command(program, args...)
	p.cmd.Env = append(append(os.Environ(), env...), "CASEWORK_METRICS_ADDR="+p.MetricsAddr)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		_ = f.Close() // nothing was written to it
		return nil, fmt.Errorf("%s: start %s: %w", name, program, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }() // a stopped or killed program exits with an error: expected
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := p.Sample(ctx); err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			_ = f.Close() // the program wrote its log through its own descriptor, now closed
			return nil, fmt.Errorf("%s exited at start: see %s", name, logPath)
		case <-ctx.Done():
			p.Kill()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s did not serve its metrics in 60 s: see %s", name, logPath)
		}
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Sample reads the process's resident memory (/proc) and goroutines (its metrics).
func (p *Proc) Sample(ctx context.Context) (Sample, error) {
	var s Sample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return s, fmt.Errorf("%s: %w", p.Name, err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return s, fmt.Errorf("%s: VmRSS %q: %w", p.Name, f[1], err)
			}
			s.RSSBytes = kb * 1024
		}
	}
	g, err := scrape(ctx, p.MetricsAddr, "go_goroutines")
	if err != nil {
		return s, fmt.Errorf("%s: %w", p.Name, err)
	}
	s.Goroutines = int(g)
	return s, nil
}

// Watch samples the process every interval until ctx ends.
func (p *Proc) Watch(ctx context.Context, every time.Duration) {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.exited:
				return
			case <-t.C:
				if s, err := p.Sample(ctx); err == nil {
					p.mu.Lock()
					p.samples = append(p.samples, s)
					p.mu.Unlock()
				}
			}
		}
	}()
}

// Peak is the largest memory and goroutine count sampled, and the last sample.
func (p *Proc) Peak() (peak, last Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.samples {
		peak.RSSBytes = max(peak.RSSBytes, s.RSSBytes)
		peak.Goroutines = max(peak.Goroutines, s.Goroutines)
	}
	if len(p.samples) > 0 {
		last = p.samples[len(p.samples)-1]
	}
	return peak, last
}

// Stop asks the process to finish (SIGTERM) and waits for it.
func (p *Proc) Stop() error {
	// The program wrote its log through its own descriptor: closing ours loses nothing
	// (and fails as already closed when Kill below has closed it).
	defer func() { _ = p.logFile.Close() }()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: stop: %w", p.Name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		p.Kill()
		return fmt.Errorf("%s did not stop in 30 s: killed", p.Name)
	}
}

// Kill kills the process (SIGKILL), as a crash would, and waits for it.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill() // it may have exited already
	<-p.exited
	_ = p.logFile.Close() // the program wrote its log through its own descriptor, now closed
}

// metricsText reads a Prometheus text endpoint (its /metrics) whole, within 5 seconds.
func metricsText(ctx context.Context, addr string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics at %s: %s", addr, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics at %s: %w", addr, err)
	}
	return body, nil
}

// scrape reads one gauge from a Prometheus text endpoint, summed over its label sets.
func scrape(ctx context.Context, addr, metric string) (float64, error) {
	text, err := metricsText(ctx, addr)
	if err != nil {
		return 0, err
	}
	sum, found := 0.0, false
	err = eachSample(text, func(name string) bool { return name == metric }, func(_, _ string, v float64) {
		sum, found = sum+v, true
	})
	if err != nil {
		return 0, fmt.Errorf("metrics at %s: %w", addr, err)
	}
	if !found {
		return 0, fmt.Errorf("metrics: no %s at %s", metric, addr)
	}
	return sum, nil
}

// eachSample calls f with the metric name, the label set (without its braces) and the
// value of each sample of a Prometheus text exposition whose name wanted says; a sample
// of those without a readable value is an error.
func eachSample(text []byte, wanted func(name string) bool, f func(name, labels string, v float64)) error {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		labels := ""
		if n, l, ok := strings.Cut(line, "{"); ok && !strings.Contains(n, " ") {
			if labels, rest, ok = strings.Cut(l, "}"); !ok {
				return fmt.Errorf("%q: no closing brace", line)
			}
			name = n
		}
		if !wanted(name) {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return fmt.Errorf("%s without a value: %q", name, line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return fmt.Errorf("%s %q: %w", name, rest, err)
		}
		f(name, labels, v)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer func() { _ = ln.Close() }() // only its port was wanted
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Procs are several processes of one program (workers beside each other).
type Procs []*Proc

// StartProcs starts n processes of the program, the i-th logging to fmt.Sprintf(logPattern, i+1).
func StartProcs(ctx context.Context, name, logPattern string, n int, env []string, program string, args ...string) (Procs, error) {
	var ps Procs
	for i := range max(1, n) {
		p, err := StartProc(ctx, fmt.Sprintf("%s %d", name, i+1), fmt.Sprintf(logPattern, i+1), env, program, args...)
		if err != nil {
			_ = ps.Stop() // the start failed: its error is the one to report
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Watch samples each process every so often until ctx ends.
func (ps Procs) Watch(ctx context.Context, every time.Duration) {
	for _, p := range ps {
		p.Watch(ctx, every)
	}
}

// Stop stops them all; the first error is returned.
func (ps Procs) Stop() error {
	var first error
	for _, p := range ps {
		if err := p.Stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Peak is the sum of their peaks: the memory and goroutines of the workers together.
func (ps Procs) Peak() Sample {
	var sum Sample
	for _, p := range ps {
		peak, _ := p.Peak()
		sum.RSSBytes += peak.RSSBytes
		sum.Goroutines += peak.Goroutines
	}
	return sum
}

// SaveMetrics writes each process's Prometheus metrics as they stand to
// fmt.Sprintf(pattern, i+1): the SDK's task and activity latencies of a run (up to the
// last second: the metrics are reported once a second), for looking into where its time
// went.
func (ps Procs) SaveMetrics(ctx context.Context, pattern string) error {
	for i, p := range ps {
		body, err := metricsText(ctx, p.MetricsAddr)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		if err := os.WriteFile(fmt.Sprintf(pattern, i+1), body, 0o644); err != nil {
			return fmt.Errorf("metrics of %s: %w", p.Name, err)
		}
	}
	return nil
}
