//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// browserPolicy is a case for people at a browser: 2-second case days (the pause after a
// conversation passes in 14 s) and deadlines far enough away that nothing escalates while
// they type.
var browserPolicy = json.RawMessage(`{"dayLength":"2s","contactStartHour":0,"contactEndHour":24,
	"phoneVerifyDeadline":"7200h","visitDeadline":"7200h","negotiationDeadline":"7200h","surveyDelay":"7200h"}`)

// person is one signed-in browser (its own Chromium, its own cookies).
type person struct {
	t   *testing.T
	ctx context.Context
	url string
}

// browse starts a headless Chromium (Debian's) for one person and signs them in with a
// one-time code typed on the keyboard.
func browse(t *testing.T, base, agent string) *person {
	t.Helper()
	chromium := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	p := &person{t: t, ctx: ctx, url: base}
	if err := chromedp.Do(ctx); err != nil { // the browser lives as long as ctx, not as one step's timeout
		t.Fatalf("start chromium: %v", err)
	}
	code, _, err := httpapi.IssueCode(context.Background(), stack.db, "sup-1", agent)
	if err != nil {
		t.Fatal(err)
	}
	p.run("sign in as "+agent,
		chromedp.Navigate(base+"/login"),
		chromedp.EmulateViewport(390, 844),
		chromedp.WaitVisible(chromedp.CSS("#code")),
		chromedp.Focus(chromedp.CSS("#code")),
		chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter), // Enter submits: no mouse needed
		chromedp.WaitVisible(chromedp.CSS("#me")))
	if me := p.text("#me"); me != agent {
		t.Fatalf("signed in as %q, want %s", me, agent)
	}
	return p
}

func (p *person) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		at, _ := chromedp.Run(p.ctx, chromedp.Location())
		p.t.Fatalf("%s: %v\nat %s: %.3000s", what, err, at, html)
	}
}

// text is the text of the first element that matches sel ("" when there is none).
func (p *person) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)))
	if err != nil {
		p.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// open shows a page.
func (p *person) open(path, waitFor string) {
	p.t.Helper()
	p.run("open "+path, chromedp.Navigate(p.url+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// until reloads the page until sel's text contains want.
func (p *person) until(path, sel, want string) {
	p.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		p.run("open "+path, chromedp.Navigate(p.url+path), chromedp.WaitReady(chromedp.CSS("body")))
		s := p.text(sel)
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s shows %q, want %q", path, sel, s, want)
		}
		time.Sleep(time.Second)
	}
}

// exists tells whether sel is on the page now.
func (p *person) exists(sel string) bool {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		p.t.Fatalf("count %s: %v", sel, err)
	}
	return n > 0
}

// usable checks the page as a phone shows it: nothing wider than the 390 px screen, and a
// label for every field a person fills in (read by screen readers, a larger target).
func (p *person) usable(path string) {
	p.t.Helper()
	for _, c := range []struct{ what, js string }{
		{"wider than the screen", `document.documentElement.scrollWidth > window.innerWidth ? document.documentElement.scrollWidth : 0`},
		{"fields without a label", `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => !e.id || !document.querySelector('label[for="' + e.id + '"]')).length`},
	} {
		n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](c.js))
		if err != nil || n != 0 {
			p.t.Errorf("%s: %s: %d (%v)", path, c.what, n, err)
		}
	}
}

// send opens an action's form, fills it, sends it and waits for the answer's page.
func (p *person) send(action string, fill ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.run("fill "+action, append([]chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("#form-" + action + " > summary"))}, fill...)...)
	p.submit("send "+action, chromedp.Click(chromedp.CSS("#send-"+action)))
}

// submit does what sends a form and waits until the next page has loaded.
func (p *person) submit(what string, do chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.__stale = true`)); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	p.run(what, do)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		fresh, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.__stale !== true && document.readyState === "complete"`))
		if err == nil && fresh {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no new page after 30 s (%v)", what, err)
		}
	}
}

// shot saves a screenshot of what a screen of the width shows (844 px high), scrolled to
// the element at, for the README.
func (p *person) shot(name string, width int, at string) {
	p.t.Helper()
	dir := os.Getenv("CASEWORK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", ".dev", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	p.run("viewport", chromedp.EmulateViewport(int64(width), 844), chromedp.ScrollIntoView(chromedp.CSS(at)))
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	p.run("viewport", chromedp.EmulateViewport(390, 844))
	if err != nil || len(png) < 5000 {
		p.t.Fatalf("screenshot %s: %d bytes, %v", name, len(png), err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// The console in a real browser, on the real stack: a phone agent, a field agent and a
// supervisor take one case from phone-verify to repayment through the forms only; a
// refused form shows its reason next to the field; the contact check refuses a call
// outside the contact window, and the call made anyway becomes an alert that the
// supervisor acknowledges; the supervisor pauses and resumes the case.
func TestConsoleInABrowser(t *testing.T) {
	need(t)
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	defer srv.Close()
	ctx := context.Background()
	run, err := cases().Start(ctx, newAccount(t), browserPolicy)
	if err != nil {
		t.Fatal(err)
	}
	caseID := run.GetID()
	casePath := "/cases/" + caseID
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phoneAgent := st.Pending.Assignees[0]

	// the phone agent: the case in the inbox, the call confirms the address
	phone := browse(t, srv.URL, phoneAgent)
	if !phone.exists(`a.case-link[href="` + casePath + `"]`) {
		t.Fatalf("%s's inbox does not list %s", phoneAgent, caseID)
	}
	phone.shot("console-inbox-phone.png", 390, "h1")
	phone.open(casePath, "#form-"+contract.ActionPhoneVerified)
	phone.usable(casePath)
	if !strings.Contains(phone.text("#contact-call"), "Allowed now") {
		t.Errorf("contact check before the call: %q", phone.text("#contact-call"))
	}
	phone.send(contract.ActionPhoneVerified, chromedp.SetValue(chromedp.CSS("#phone-verified-outcome"), contract.PhoneConfirmed))
	if f := phone.text("#flash"); !strings.Contains(f, "Done") {
		t.Fatalf("after the phone-verify form: %q", f)
	}

	// the field agents: one reports the visit for both
	st = waitPending(t, caseID, contract.ActionVisitReport)
	field := browse(t, srv.URL, st.Pending.Assignees[0])
	field.open(casePath, "#form-"+contract.ActionVisitReport)
	field.send(contract.ActionVisitReport,
		chromedp.SendKeys(chromedp.CSS("#visit-report-agentIds"), st.Pending.Assignees[1]),
		chromedp.Click(chromedp.CSS("#visit-report-badgesShown")),
		chromedp.Click(chromedp.CSS("#visit-report-debtorMet")),
		chromedp.SendKeys(chromedp.CSS("#visit-report-monthlyCapacity"), "20000"),
		chromedp.SetValue(chromedp.CSS("#visit-report-willingness"), contract.WillingnessMedium))
	if f := field.text("#flash"); !strings.Contains(f, "Done") {
		t.Fatalf("after the visit form: %q", f)
	}

	// the negotiation: a plan that does not add up is refused next to its field
	st = waitPending(t, caseID, contract.ActionNegotiationResult)
	due, err := time.Parse(time.DateOnly, status(t, caseID).CaseDate)
	if err != nil {
		t.Fatal(err)
	}
	date := due.AddDate(0, 0, 200).Format(time.DateOnly) // 400 s of case days ahead
	phone.open(casePath, "#form-"+contract.ActionNegotiationResult)
	phone.send(contract.ActionNegotiationResult,
		chromedp.SetValue(chromedp.CSS("#negotiation-result-outcome"), contract.NegotiationPlanAgreed),
		chromedp.Click(chromedp.CSS("#negotiation-result-legalConsequencesExplained")),
		chromedp.SendKeys(chromedp.CSS("#negotiation-result-installments"), date+":1000"))
	msg := phone.text("#negotiation-result-installments-msg")
	if !strings.Contains(msg, "add up to") {
		t.Fatalf("the refused plan's message next to installments: %q", msg)
	}
	phone.shot("console-refused-field-phone.png", 390, "#negotiation-result-installments")
	// the pause after the conversation: the contact check says when the call is allowed
	phone.until(casePath, "#contact-call", "Allowed now")
	owed := st.AmountDue - st.AmountPaid
	phone.open(casePath, "#form-"+contract.ActionNegotiationResult)
	phone.send(contract.ActionNegotiationResult,
		chromedp.SetValue(chromedp.CSS("#negotiation-result-outcome"), contract.NegotiationPlanAgreed),
		chromedp.Click(chromedp.CSS("#negotiation-result-legalConsequencesExplained")),
		chromedp.SendKeys(chromedp.CSS("#negotiation-result-installments"), fmt.Sprintf("%s:%d", date, owed)))
	phone.until(casePath, "#stage", string(contract.StageRepayment))
	phone.shot("console-case-desktop.png", 1280, "h1")

	// another case, whose contact window is closed now (real days, debtor-local hours)
	other := newAccount(t)
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	start := (time.Now().In(taipei).Hour() + 3) % 24
	closed := json.RawMessage(fmt.Sprintf(`{"dayLength":"24h","contactStartHour":%d,"contactEndHour":%d,"reminderHour":%d,"phoneVerifyDeadline":"7200h"}`, start, start+1, start))
	run2, err := cases().Start(ctx, other, closed)
	if err != nil {
		t.Fatal(err)
	}
	closedID := run2.GetID()
	st2 := waitPending(t, closedID, contract.ActionPhoneVerified)
	late := browse(t, srv.URL, st2.Pending.Assignees[0])
	late.open("/cases/"+closedID, "#contact-call")
	if c := late.text("#contact-call"); !strings.Contains(c, "Not before") || !strings.Contains(c, "window") {
		t.Errorf("contact check outside the window: %q, want a refusal naming the window", c)
	}
	late.shot("console-contact-refused-phone.png", 390, "#contact")
	// the agent calls anyway: the call is recorded, as a violation, and the supervisors told
	late.send(contract.ActionPhoneVerified, chromedp.SetValue(chromedp.CSS("#phone-verified-outcome"), contract.PhoneUnreachable))

	// the supervisor: acknowledges the violation's alert, pauses and resumes the case
	sup := browse(t, srv.URL, "sup-1")
	alert := `li[data-case="` + closedID + `"][data-kind="guardrail-violation"]`
	sup.until("/alerts", "#main", closedID)
	sup.shot("console-alerts-phone.png", 390, "h1")
	sup.submit("acknowledge", chromedp.Click(chromedp.CSS(alert+" button.ack")))
	sup.open("/alerts?all=true", "#alerts")
	if a := sup.text(alert + " .acked"); !strings.Contains(a, "Acknowledged by sup-1") {
		t.Errorf("the acknowledged alert says %q", a)
	}
	sup.open(casePath, "#form-"+contract.ActionPause)
	sup.usable(casePath)
	sup.send(contract.ActionPause, chromedp.SendKeys(chromedp.CSS("#pause-reason"), "checking the account's sale"))
	if p := sup.text("#paused"); !strings.Contains(p, "checking") {
		t.Errorf("after pausing: %q", p)
	}
	sup.send(contract.ActionResume, chromedp.SendKeys(chromedp.CSS("#resume-reason"), "checked"))
	if sup.exists("#paused") {
		t.Error("the case is still paused after resuming")
	}
	sup.shot("console-supervisor-desktop.png", 1280, "h1")
	for _, id := range []string{caseID, closedID} {
		mustUpdate(t, id, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	}
}
