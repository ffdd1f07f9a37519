package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// Sim is the simulated pool of agents, supervisors and debtors' payments. It works like
// real agents: it reads the open tasks from PostgreSQL (the agents' inboxes), waits until
// a contact is allowed, and sends each result to the case as a workflow update (a few as
// signals), through the same client API as the agent tool.
type Sim struct {
	DB *pgxpool.Pool
	// Cases is the case client the simulated agents send through (its Retried is set to
	// count Errors).
	Cases *direct.Client
	// Park lists cases to drive only as far as a stage and leave open there, for people to
	// inspect (their policy has real 24-hour days; their reports carry daytime times).
	Park map[string]contract.Stage
	// Debtors are the trial's cases: each debtor acts on their own data (scenario Earned).
	Debtors map[string]Debtor

	Accepted, Rejected, Signals atomic.Int64
	Errors                      atomic.Int64   // reads and sends that failed for a moment and were tried again
	Rejections                  map[string]int // why updates were rejected, counted
	sent                        []Sent         // each update's round trip

	mu       sync.Mutex
	cases    map[string]*simCase
	handled  map[string]bool  // task ids acted on (or deliberately ignored)
	inflight map[string]bool  // cases with an action under way
	fixed    map[string]*view // what each case's status query told
}

type simCase struct {
	debtor       Debtor
	daytime      time.Time // when set, the time its reports carry (a parked case's)
	nextPay      time.Time // when to look at its plan again
	scenario     Scenario
	phoneTasks   int
	visits       int
	negotiations int
	badSent      bool
}

type task struct {
	Created            time.Time
	ID, CaseID, Action string
	Assignees          []string
	NotBefore          *time.Time
	AddressID          *string
}

// look is how often the agents look at their inboxes. Each agent takes up a task at their
// own moment within a look, not the whole pool at the instant the inboxes are read: people
// working independently do not send their results in bursts, and a pool that did would
// measure its own lockstep rather than the cases.
const look = 200 * time.Millisecond

// Run drives the cases until every one is closed, or ctx ends.
func (s *Sim) Run(ctx context.Context, caseIDs []string, progress func(closed int)) error {
	s.cases, s.handled, s.inflight, s.fixed = map[string]*simCase{}, map[string]bool{}, map[string]bool{}, map[string]*view{}
	if s.Cases.Retried == nil {
		s.Cases.Retried = func() { s.Errors.Add(1) }
	}
	ids := slices.Clone(caseIDs)
	slices.Sort(ids)
	i := 0
	for _, id := range ids {
		if _, parked := s.Park[id]; parked {
			s.cases[id] = &simCase{scenario: Happy}
			continue
		}
		if d, ok := s.Debtors[id]; ok {
			s.cases[id] = &simCase{scenario: Earned, debtor: d}
			continue
		}
		s.cases[id] = &simCase{scenario: ScenarioAt(i)}
		i++
	}
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(look)
	defer tick.Stop()
	for {
		closed, err := s.countDone(ctx, ids)
		var work []func(context.Context)
		if err == nil {
			if progress != nil {
				progress(closed)
			}
			if closed == len(ids) {
				return nil
			}
			work, err = s.due(ctx, ids)
		}
		if err != nil { // PostgreSQL is away for a moment: look again at the next tick
			if ctx.Err() != nil {
				return fmt.Errorf("sim: %w (last error: %w)", ctx.Err(), err)
			}
			s.Errors.Add(1)
		}
		for _, f := range work {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				select { // each agent at their own moment, not the whole pool at once
				case <-time.After(rand.N(look)):
				case <-ctx.Done():
					return
				}
				f(ctx)
			}()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// countDone counts the cases closed, or parked where they should be.
func (s *Sim) countDone(ctx context.Context, ids []string) (int, error) {
	rows, err := s.DB.Query(ctx, `SELECT case_id, stage FROM cases WHERE case_id = ANY($1)`, ids)
	if err != nil {
		return 0, fmt.Errorf("sim: count closed cases: %w", err)
	}
	n := 0
	for rows.Next() {
		var id, stage string
		if err := rows.Scan(&id, &stage); err != nil {
			return 0, fmt.Errorf("sim: count closed cases: %w", err)
		}
		if target, parked := s.Park[id]; (parked && stage == string(target)) || (!parked && stage == string(contract.StageClosed)) {
			n++
		}
	}
	return n, rows.Err()
}

// due lists the actions to take now: open tasks whose contact is allowed, and payments of
// cases in repayment.
func (s *Sim) due(ctx context.Context, ids []string) ([]func(context.Context), error) {
	rows, err := s.DB.Query(ctx, `SELECT task_id, case_id, action, assignees, not_before, address_id, created_at FROM tasks
		WHERE status = 'open' AND case_id = ANY($1) AND (not_before IS NULL OR not_before <= now())`, ids)
	if err != nil {
		return nil, fmt.Errorf("sim: read inboxes: %w", err)
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (task, error) {
		var t task
		err := r.Scan(&t.ID, &t.CaseID, &t.Action, &t.Assignees, &t.NotBefore, &t.AddressID, &t.Created)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("sim: read inboxes: %w", err)
	}
	rows, err = s.DB.Query(ctx, `SELECT case_id FROM cases WHERE case_id = ANY($1) AND stage = 'repayment' AND pending_action = $2`, ids, contract.ActionPaymentReceived)
	if err != nil {
		return nil, fmt.Errorf("sim: read repayments: %w", err)
	}
	paying, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sim: read repayments: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var work []func(context.Context)
	for _, t := range tasks {
		if s.handled[t.ID] || s.inflight[t.CaseID] {
			continue
		}
		s.handled[t.ID] = true
		s.inflight[t.CaseID] = true
		work = append(work, func(ctx context.Context) { s.act(ctx, t); s.done(t.CaseID) })
	}
	now := time.Now()
	for _, id := range paying {
		if _, parked := s.Park[id]; parked || s.inflight[id] || now.Before(s.cases[id].nextPay) {
			continue
		}
		s.inflight[id] = true
		work = append(work, func(ctx context.Context) { s.pay(ctx, id); s.done(id) })
	}
	return work, nil
}

// again puts a task back, to be done at a later tick (a read failed for a moment).
func (s *Sim) again(t task) {
	s.Errors.Add(1)
	s.mu.Lock()
	delete(s.handled, t.ID)
	s.mu.Unlock()
}

func (s *Sim) done(caseID string) {
	s.mu.Lock()
	delete(s.inflight, caseID)
	s.mu.Unlock()
}

func (s *Sim) state(caseID string) *simCase {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cases[caseID]
}

// act does one task as the agent it is assigned to would.
func (s *Sim) act(ctx context.Context, t task) {
	c := s.state(t.CaseID)
	st, err := s.view(ctx, t.CaseID)
	if err != nil {
		s.again(t)
		return
	}
	if st.stage == contract.StageClosed {
		return
	}
	agent := first(t.Assignees)
	if target, parked := s.Park[t.CaseID]; parked {
		if st.stage == target {
			return // parked: left waiting for a person
		}
		c.daytime = lastDaytime(st)
	} else if contact[t.Action] && !inWindowNow(st) {
		s.mu.Lock()
		delete(s.handled, t.ID) // agents call and visit in the debtor's daytime: try again later
		s.mu.Unlock()
		return
	}
	switch t.Action {
	case contract.ActionPhoneVerified:
		s.phone(ctx, t, c, st, agent)
	case contract.ActionVisitReport:
		s.visit(ctx, t, c, st)
	case contract.ActionNegotiationResult:
		s.negotiate(ctx, t, c, st, agent)
	case contract.ActionResume:
		by := first(st.supervisors)
		if c.scenario == SupervisorClose {
			s.send(ctx, t.CaseID, contract.ActionClose, contract.SupervisorAction{By: by, Reason: "account sold to a debt buyer"})
			return
		}
		if time.Since(t.Created) < 2*time.Second { // a supervisor takes a moment to review
			s.mu.Lock()
			delete(s.handled, t.ID)
			s.mu.Unlock()
			return
		}
		s.send(ctx, t.CaseID, contract.ActionResume, contract.SupervisorAction{By: by, Reason: "reviewed"})
	case contract.ActionSurveyResult:
		reached := len(t.CaseID)%5 != 0
		res := contract.SurveyResult{AgentID: agent, Reached: reached, Complaint: c.scenario == Complaint}
		if reached {
			res.Satisfaction = 2 + len(t.CaseID)%4
		}
		s.send(ctx, t.CaseID, contract.ActionSurveyResult, res)
	case contract.ActionReassign:
		s.send(ctx, t.CaseID, contract.ActionClose, contract.SupervisorAction{By: first(st.supervisors), Reason: "no staff in region"})
	}
}

func (s *Sim) phone(ctx context.Context, t task, c *simCase, st *view, agent string) {
	c.phoneTasks++
	call := contract.PhoneVerified{AgentID: agent, CalledAt: c.at(), Outcome: contract.PhoneConfirmed}
	switch {
	case c.scenario == MissedDeadline && c.phoneTasks == 1:
		return // the agent never calls: the deadline passes and the task is reassigned
	case c.scenario == Unreachable:
		call.Outcome = contract.PhoneUnreachable
	case c.scenario == WrongPartyFirst && c.phoneTasks == 1:
		call.Outcome, call.Note = contract.PhoneWrongParty, "reached a relative; disclosed nothing"
	case c.scenario == AddressChanged && c.phoneTasks == 1:
		id, err := s.recordAddress(ctx, st.accountID, agent)
		if err != nil {
			c.phoneTasks--
			s.again(t)
			return
		}
		call.Outcome, call.AddressID = contract.PhoneAddressChanged, id
	case c.scenario == AfterHoursCall && c.phoneTasks == 1:
		night := afterHours(st)
		if night.Before(t.Created) { // a call is dated after its task opened: wait for the night to come
			c.phoneTasks--
			s.mu.Lock()
			delete(s.handled, t.ID)
			s.mu.Unlock()
			return
		}
		call.CalledAt = night.UTC().Format(time.RFC3339Nano)
	case c.scenario == Rejected && !c.badSent:
		c.badSent = true
		// a tool that sends a signal with a typo: recorded as rejected, the case goes on
		s.signal(ctx, t.CaseID, contract.ActionPhoneVerified, map[string]any{"agentId": agent, "calledAt": call.CalledAt, "outcome": "confirmd"})
		s.signal(ctx, t.CaseID, contract.ActionPhoneVerified, call)
		return
	}
	s.send(ctx, t.CaseID, contract.ActionPhoneVerified, call)
}

func (s *Sim) visit(ctx context.Context, t task, c *simCase, st *view) {
	c.visits++
	addr := ""
	if t.AddressID != nil {
		addr = *t.AddressID
	}
	report := contract.VisitReport{AgentIDs: t.Assignees, BadgesShown: true, VisitedAt: c.at(),
		AddressID: addr, DebtorMet: true, LivingConditions: "modest", Employment: "employed", MonthlyCapacity: st.amountDue / 6,
		Willingness: contract.WillingnessMedium}
	if c.scenario == Earned {
		report.Willingness = c.debtor.willingness()
	}
	by := first(t.Assignees)
	switch {
	case c.scenario == Deceased:
		s.send(ctx, t.CaseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDeceased, ReportedBy: by, Note: "neighbour reports the debtor passed away"})
		return
	case c.scenario == Bankruptcy:
		s.send(ctx, t.CaseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyBankruptcy, ReportedBy: by})
		return
	case c.scenario == ContactChanged && c.visits == 1:
		id, err := s.recordAddress(ctx, st.accountID, by)
		if err != nil {
			c.visits--
			s.again(t)
			return
		}
		s.send(ctx, t.CaseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyContactChanged, ReportedBy: by, AddressID: id})
		return
	case c.scenario == Rejected && c.visits == 1:
		bad := report
		bad.AgentIDs = t.Assignees[:1] // one agent alone: a process rule breaks
		s.send(ctx, t.CaseID, contract.ActionVisitReport, bad)
	case c.scenario == Complaint && c.visits == 1:
		s.send(ctx, t.CaseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyComplaint, ReportedBy: by, Note: "debtor complains about call frequency"})
		return
	}
	s.send(ctx, t.CaseID, contract.ActionVisitReport, report)
}

func (s *Sim) negotiate(ctx context.Context, t task, c *simCase, st *view, agent string) {
	c.negotiations++
	n := contract.NegotiationResult{AgentID: agent, LegalConsequencesExplained: true}
	switch {
	case c.scenario == LegalReferral, c.scenario == RefusedOnce && c.negotiations == 1:
		n.Outcome = contract.NegotiationRefused
	case c.scenario == Dispute && c.negotiations == 1:
		n.Outcome = contract.NegotiationDispute
	case c.scenario == Hardship && c.negotiations == 1:
		n.Outcome = contract.NegotiationHardship
	case c.scenario == SupervisorClose:
		s.send(ctx, t.CaseID, contract.ActionPause, contract.SupervisorAction{By: first(st.supervisors), Reason: "checking the account's sale"})
		return
	case c.scenario == PaidInFull:
		n.Outcome = contract.NegotiationPaidInFull
	case c.scenario == Earned && draw(t.CaseID, "agree", c.negotiations) >= map[bool]float64{true: c.debtor.AgreeInPerson(), false: c.debtor.AgreeByPhone()}[c.visits > 0]:
		n.Outcome = contract.NegotiationRefused // on the phone or at the door, the debtor says no
	default:
		n.Outcome = contract.NegotiationPlanAgreed
		owed := st.amountDue - st.amountPaid
		today, err := time.Parse(time.DateOnly, st.caseDate())
		if err != nil {
			return
		}
		n.Installments = []contract.PlanInstallment{
			{DueDate: today.AddDate(0, 0, 5).Format(time.DateOnly), Amount: owed / 2},
			{DueDate: today.AddDate(0, 0, 12).Format(time.DateOnly), Amount: owed - owed/2},
		}
		if c.scenario == Rejected && c.negotiations == 1 {
			bad := n
			bad.LegalConsequencesExplained = false
			s.send(ctx, t.CaseID, contract.ActionNegotiationResult, bad)
		}
	}
	s.send(ctx, t.CaseID, contract.ActionNegotiationResult, n)
}

// pay pays the installments that fall due, as the debtor's bank would report them. It reads
// the plan from PostgreSQL, as a bank's reconciliation would.
func (s *Sim) pay(ctx context.Context, caseID string) {
	c := s.state(caseID)
	st, err := s.view(ctx, caseID)
	if err != nil || st.stage != contract.StageRepayment {
		return
	}
	// look again in a case day: a debtor's payments are days apart
	s.mu.Lock()
	c.nextPay = time.Now().Add(st.policy.DayLength.D())
	s.mu.Unlock()
	rows, err := s.DB.Query(ctx, `SELECT plan_no, idx, due_date, amount, paid FROM installments
		WHERE case_id = $1 AND plan_no = (SELECT max(plan_no) FROM installments WHERE case_id = $1) ORDER BY idx`, caseID)
	if err != nil {
		return
	}
	type inst struct {
		plan, idx    int
		due          time.Time
		amount, paid int64
	}
	plan, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (inst, error) {
		var i inst
		return i, r.Scan(&i.plan, &i.idx, &i.due, &i.amount, &i.paid)
	})
	if err != nil {
		return
	}
	today, err := time.Parse(time.DateOnly, st.caseDate())
	if err != nil {
		return
	}
	for _, in := range plan {
		if in.paid >= in.amount {
			continue
		}
		if today.Before(in.due.AddDate(0, 0, -1)) {
			return // not yet: debtors pay near the due date
		}
		if c.scenario == MissedPayment && in.plan == 1 {
			return // the first plan is broken: missed-payment, then renegotiation
		}
		if c.scenario == Earned && draw(caseID, fmt.Sprintf("keep-%d", in.plan), in.idx) >= c.debtor.Keep {
			return // this debtor does not pay this one: the promise is broken
		}
		p := contract.PaymentReceived{PaymentID: fmt.Sprintf("%s-p%d-i%d", caseID, in.plan, in.idx), Amount: in.amount - in.paid,
			PaidAt: time.Now().UTC().Format(time.RFC3339Nano), Channel: "bank-transfer"}
		s.send(ctx, caseID, contract.ActionPaymentReceived, p)
		if in.idx == 1 {
			s.send(ctx, caseID, contract.ActionPaymentReceived, p) // the bank's file repeats it: counted once
		}
		return
	}
}

// send sends a human action as an update and waits for its result; the case client
// tries again, with the same action id, while Temporal or the worker is away.
func (s *Sim) send(ctx context.Context, caseID, action string, payload any) {
	t0 := time.Now()
	defer func() {
		s.mu.Lock()
		s.sent = append(s.sent, Sent{CaseID: caseID, Action: action, At: t0, Took: time.Since(t0)})
		s.mu.Unlock()
	}()
	if _, err := s.Cases.Act(ctx, caseID, action, uuid.NewString(), contract.MustJSON(payload)); err != nil {
		s.Rejected.Add(1)
		s.mu.Lock()
		if s.Rejections == nil {
			s.Rejections = map[string]int{}
		}
		s.Rejections[rejection(err)]++
		s.mu.Unlock()
		return
	}
	s.Accepted.Add(1)
}

// Latency is the update round trip at the quantile q (0.5, 0.95, ...).
func (s *Sim) Latency(q float64) time.Duration {
	l := s.Latencies()
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

// rejection is the gist of a rejected update: the case's reason.
func rejection(err error) string {
	msg := err.Error()
	var refused *caseclient.Refused
	if errors.As(err, &refused) {
		msg = refused.Message
	}
	if len(msg) > 110 {
		msg = msg[:110] + "…"
	}
	return msg
}

// signal sends a human action as a signal (fire and forget).
func (s *Sim) signal(ctx context.Context, caseID, action string, payload any) {
	if err := s.Cases.Signal(ctx, caseID, action, contract.MustJSON(payload)); err == nil {
		s.Signals.Add(1)
	}
}

// view is what the simulated agents know of a case: what the case's status query told
// once (fixed for its life: account, supervisors, policy, calendar) and what PostgreSQL's
// case row says now. One query a case keeps the simulation's load off the server.
type view struct {
	accountID             string
	supervisors           []string
	policy                contract.Policy
	clock                 rules.Clock
	stage                 contract.Stage
	amountDue, amountPaid int64
}

// caseDate is the debtor-local date now.
func (v *view) caseDate() string { return v.clock.Date(time.Now()) }

func (s *Sim) view(ctx context.Context, caseID string) (*view, error) {
	s.mu.Lock()
	fixed := s.fixed[caseID]
	s.mu.Unlock()
	if fixed == nil {
		st, err := s.Cases.Status(ctx, caseID)
		if err != nil {
			return nil, err
		}
		clock, err := rules.NewClock(st.Epoch, st.Policy.DayLength.D(), st.Timezone)
		if err != nil {
			return nil, err
		}
		fixed = &view{accountID: st.AccountID, supervisors: st.Supervisors, policy: st.Policy, clock: clock}
		s.mu.Lock()
		s.fixed[caseID] = fixed
		s.mu.Unlock()
	}
	v := *fixed
	err := s.DB.QueryRow(ctx, `SELECT stage, amount_due, amount_paid FROM cases WHERE case_id = $1`, caseID).Scan(&v.stage, &v.amountDue, &v.amountPaid)
	if err != nil {
		return nil, fmt.Errorf("case row of %s: %w", caseID, err)
	}
	return &v, nil
}

// recordAddress records a new address for the account, as an agent's tool does before it
// sends the address's id.
func (s *Sim) recordAddress(ctx context.Context, accountID, agent string) (string, error) {
	return book.RecordAddress(ctx, s.DB, accountID, "New synthetic address of "+accountID, agent)
}

// contact lists the tasks that contact the debtor.
var contact = map[string]bool{
	contract.ActionPhoneVerified: true, contract.ActionVisitReport: true,
	contract.ActionNegotiationResult: true, contract.ActionSurveyResult: true,
}

// inWindowNow reports whether it is daytime for the debtor, with three hours to spare
// (at demo speed an hour is a fraction of a second: the report must land in daytime too).
func inWindowNow(v *view) bool {
	w := rules.WindowOf(v.policy)
	now := time.Now()
	return v.clock.InWindow(now, w) && v.clock.InWindow(now.Add(v.policy.Real(contract.Duration(3*time.Hour))), w)
}

// lastDaytime is the latest moment at or before now inside the debtor's contact window.
func lastDaytime(v *view) time.Time {
	return lastWhere(v, 15*time.Minute, func(t time.Time) bool { return v.clock.InWindow(t, rules.WindowOf(v.policy)) })
}

// afterHours is a recent moment that was night for the debtor.
func afterHours(v *view) time.Time {
	return lastWhere(v, time.Hour, func(t time.Time) bool { return !v.clock.InWindow(t, rules.WindowOf(v.policy)) })
}

// lastWhere steps back from now by step of case time until ok, for at most two days.
func lastWhere(v *view, step time.Duration, ok func(time.Time) bool) time.Time {
	t := time.Now()
	real := v.policy.Real(contract.Duration(step))
	for range int(48 * time.Hour / step) {
		if ok(t) {
			return t
		}
		t = t.Add(-real)
	}
	return t
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// at is when a report of the case says it happened: now, or a parked case's daytime.
func (c *simCase) at() string {
	if !c.daytime.IsZero() {
		return c.daytime.UTC().Format(time.RFC3339Nano)
	}
	return time.Now().UTC().Format(time.RFC3339Nano)
}

// Sent is one update the simulated agents sent: to which case, which action, and its
// round trip.
type Sent struct {
	CaseID, Action string
	At             time.Time // sent
	Took           time.Duration
}

// Updates lists the updates sent so far, in the order their answers came.
func (s *Sim) Updates() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Latencies are the round trips of every update sent.
func (s *Sim) Latencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]time.Duration, len(s.sent))
	for i, u := range s.sent {
		all[i] = u.Took
	}
	return all
}
