package perf

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/lab/demo"
)

// ConsoleConfig says what the console measurement does.
type ConsoleConfig struct {
	Cases    int // cases parked at the phone agents' wait: the inboxes' tasks
	Requests int // loads of each page measured, one at a time (an idle server)
	Worker   []string
	Dir      string
	UCIFile  string
	Out      io.Writer
}

// ConsoleResult is how long the console's pages take to load, as a browser waits for
// them: sign-in cookie checked, PostgreSQL read, the case's status query (case page),
// the template rendered, the page sent.
type ConsoleResult struct {
	Cases      int       `json:"cases"`
	Requests   int       `json:"requests"`
	Agent      string    `json:"agent"`
	InboxTasks int       `json:"inboxTasks"`
	Inbox      Quantiles `json:"inbox"`
	Case       Quantiles `json:"case"`
	CaseBytes  int       `json:"caseBytes"`
}

// Console parks cases at the phone agents' wait, signs in to the console as the phone
// agent with the most tasks, and loads their inbox and a case page one at a time.
func Console(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg ConsoleConfig) (*ConsoleResult, error) {
	out := cfg.Out
	if err := demo.Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return nil, err
	}
	w, err := StartProc(ctx, "case worker", filepath.Join(cfg.Dir, "bench-console-worker.log"), nil, cfg.Worker[0], cfg.Worker[1:]...)
	if err != nil {
		return nil, err
	}
	defer w.Kill()
	policy := contract.DefaultPolicy()
	sr, err := backoffice.Screen(ctx, db, tc, policy, backoffice.Filter{Limit: cfg.Cases}, backoffice.Pace{Concurrency: 8}, demo.ParkPolicy(), nil)
	if err != nil {
		return nil, err
	}
	say(out, "started %d cases; waiting for them to park at the phone agents' wait\n", sr.Started)
	res := &ConsoleResult{Cases: sr.Started, Requests: cfg.Requests}
	for deadline := time.Now().Add(5 * time.Minute); ; {
		var parked int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status = 'open' AND action = $1`, contract.ActionPhoneVerified).Scan(&parked); err != nil {
			return nil, fmt.Errorf("bench: count parked: %w", err)
		}
		if parked >= sr.Started {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: %d of %d cases parked in 5 minutes", parked, sr.Started)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	var caseID string
	if err := db.QueryRow(ctx, `SELECT a, count(*), min(case_id) FROM tasks, unnest(assignees) a
		WHERE status = 'open' AND action = $1 GROUP BY a ORDER BY count(*) DESC, a LIMIT 1`, contract.ActionPhoneVerified).
		Scan(&res.Agent, &res.InboxTasks, &caseID); err != nil {
		return nil, fmt.Errorf("bench: the busiest phone agent: %w", err)
	}
	caseID = contract.WorkflowIDOfCaseKey(caseID)
	srv := httptest.NewServer((&httpapi.Server{DB: db, TC: tc, Limit: httpapi.Rate{PerSecond: 1e6, Burst: 1e6}}).Handler())
	defer srv.Close()
	code, _, err := httpapi.IssueCode(ctx, db, "bench", res.Agent)
	if err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := hc.PostForm(srv.URL+"/login", url.Values{"code": {code}})
	if err != nil {
		return nil, fmt.Errorf("bench: sign in: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		return nil, fmt.Errorf("bench: sign in as %s: %s at %s", res.Agent, resp.Status, resp.Request.URL.Path)
	}
	load := func(path string) (time.Duration, int, error) {
		t0 := time.Now()
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			return 0, 0, err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return time.Since(t0), int(n), err
	}
	say(out, "%s has %d tasks; loading the inbox and %s %d times each\n", res.Agent, res.InboxTasks, caseID, cfg.Requests)
	var inbox, page []time.Duration
	for i := range cfg.Requests + 20 { // the first 20 of each warm the caches up
		d1, _, err := load("/")
		if err != nil {
			return nil, err
		}
		d2, n, err := load("/cases/" + caseID)
		if err != nil {
			return nil, err
		}
		if i >= 20 {
			inbox, page = append(inbox, d1), append(page, d2)
			res.CaseBytes = n
		}
	}
	res.Inbox, res.Case = quantiles(inbox), quantiles(page)
	return res, nil
}

// ConsoleTable is the console measurement's table.
func ConsoleTable(r *ConsoleResult) *Table {
	t := &Table{Title: "The web console's page loads (idle server, one request at a time)"}
	t.Add("inbox page", fmt.Sprintf("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", r.Inbox.P50, r.Inbox.P95, r.Inbox.P99),
		fmt.Sprintf("%s's %d open tasks; the session checked and the tasks read in PostgreSQL, the page rendered", r.Agent, r.InboxTasks))
	t.Add("case page", fmt.Sprintf("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", r.Case.P50, r.Case.P95, r.Case.P99),
		fmt.Sprintf("access in PostgreSQL, the case's status query through Temporal, the contact check, the forms; %d bytes", r.CaseBytes))
	t.Add("requests", fmt.Sprintf("%d of each", r.Requests), fmt.Sprintf("after 20 of each to warm up; %d cases parked at the phone agents' wait", r.Cases))
	return t
}
