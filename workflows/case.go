// Package workflows holds CaseWorkflow: one durable workflow per overdue case that runs the
// field-collection process in order and waits for people between the steps.
//
// The workflow reads top to bottom: setup() registers the status query and the human
// actions, run() walks the stages. Each stage lives in a file of its name (screen.go,
// phoneverify.go, visit.go, negotiate.go, repayment.go, survey.go, close.go), with the human
// action it waits for; anomaly.go holds the anomaly policy, supervision.go the supervisors'
// actions, wait.go the one mechanism every human wait uses (deadline, escalation).
package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"

	_ "time/tzdata" // the same time zone data on every worker
)

// a is the activities' receiver, used only to name activities.
var a *activities.Activities

// CaseWorkflow runs one case from screening to closed. It returns the final status.
func CaseWorkflow(ctx workflow.Context, in contract.CaseInput) (*contract.Status, error) {
	if err := checkStart(ctx, in); err != nil {
		return nil, err
	}
	c := newCase(ctx, in)
	if err := c.setup(); err != nil {
		return nil, err
	}
	return c.run()
}

// ErrTypeInvalidStart is the type of the error that refuses a start.
const ErrTypeInvalidStart = "InvalidStart"

// checkStart refuses a start that no client may make: an account other than the workflow
// ID's, or a state (the stage, the assignees, the supervisors...) on a run that is not the
// continuation of a case. Only accountId and policy are taken from a client.
func checkStart(ctx workflow.Context, in contract.CaseInput) error {
	info := workflow.GetInfo(ctx)
	refuse := func(format string, args ...any) error {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidStart, nil)
	}
	account, err := contract.AccountFromWorkflowID(info.WorkflowExecution.ID)
	if err != nil {
		return refuse("%v", err)
	}
	if in.AccountID != account {
		return refuse("accountId %q is not the account of workflow %s (%q)", in.AccountID, info.WorkflowExecution.ID, account)
	}
	if info.CronSchedule != "" {
		return refuse("a case is not a cron workflow")
	}
	if in.Strategy != nil {
		if err := in.Strategy.Validate(); err != nil {
			return refuse("%v", err)
		}
	}
	if in.State != nil {
		if info.ContinuedExecutionRunID == "" || info.Attempt > 1 { // a retry's input is the client's
			return refuse("state is carried only by a continued run: a start takes accountId and policy")
		}
		if in.State.CaseID != info.WorkflowExecution.ID || in.State.AccountID != account {
			return refuse("the continued state is of case %s (account %s), not %s", in.State.CaseID, in.State.AccountID, info.WorkflowExecution.ID)
		}
	}
	return nil
}

// localOptions are the options of the local activities: each round of retries lasts ten
// seconds, then runLocal waits on a timer and tries again.
var localOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout:    5 * time.Second,
	ScheduleToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Second,
	},
}

// caseRun is one run of a case workflow: the state and what the run needs to act on it.
type caseRun struct {
	ctx     workflow.Context
	local   workflow.Context // for local activities: the short PostgreSQL reads and writes
	in      contract.CaseInput
	st      *contract.Status
	clock   rules.Clock
	records []activities.Record
	sa      searchAttrs         // last values upserted by this run
	lastRow *activities.CaseRow // last case row written by this run
	log     log.Logger
	signals map[string]signalHandler
	// admitting counts the actions waiting for their turn or being checked and applied (an
	// update's handler, a signal taken off its channel): the run waits for them before it
	// ends. tickets and serving hand out the turns, in arrival order (see inTurn).
	admitting        int
	tickets, serving int
	// phoneFirst: the case's strategy negotiates by phone before any visit (contactpath.go).
	phoneFirst bool
	// answering: an update was answered in this workflow task; its answer leaves when the
	// task completes, which sync lets happen before it writes the records (records.go).
	answering bool
	// ending: the run is closing or continuing as new; sync writes at once, in the task
	// (close.go, continueasnew.go).
	ending bool
	// latest: the run began on the code of allChanges (versions.go); taskTimeKeys: on its
	// version 2, whose records name their task attempt by its time (attempt, records.go).
	latest, taskTimeKeys bool
	// rowWritten: this worker has written the case row in a live (not replayed) write
	// (restate, records.go).
	rowWritten bool
	// handingOver: a reminder's hand-off is under way, reading the case's restrictions
	// from PostgreSQL (repayment.go, records.go).
	handingOver bool
}

func newCase(ctx workflow.Context, in contract.CaseInput) *caseRun {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
	// Reads and writes of PostgreSQL are short and idempotent: local activities, run in the
	// workflow task that needs them, cost one marker event instead of a task round trip.
	// Sending a reminder reaches outside: a regular activity.
	local := workflow.WithLocalActivityOptions(ctx, localOptions)
	c := &caseRun{ctx: ctx, local: local, in: in, log: workflow.GetLogger(ctx)}
	if in.State != nil {
		c.st = in.State
		c.st.Runs++
		if c.st.CaseKey == "" { // a case that began before case keys
			c.st.CaseKey = c.st.CaseID
		}
		return c
	}
	now := workflow.Now(ctx)
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	c.st = &contract.Status{
		CaseID:       id,
		CaseKey:      id, // until screening gives the case its own
		AccountID:    in.AccountID,
		Stage:        contract.StageScreen,
		Assigned:     map[string][]string{},
		StageSeconds: map[contract.Stage]float64{},
		StageSince:   now,
		StartedAt:    now,
		Epoch:        now,
		Policy:       contract.DefaultPolicy(),
		Runs:         1,
		Anomalies:    []contract.AnomalyRecord{},
		Timeline:     []contract.TimelineEntry{},
		Calls:        []time.Time{},
		PaymentIDs:   []string{},
	}
	if s := in.Strategy; s != nil {
		c.st.Strategy, c.st.ContactPath, c.st.ModelVersion = s.Name, s.Path, s.Model
	}
	return c
}

// setup asks which version of the code the run began on, registers the status query and
// every human action, and restores the case clock of a continued run.
func (c *caseRun) setup() error {
	c.changesVersion()
	if c.st.Timezone != "" {
		if err := c.setClock(); err != nil {
			return err
		}
	}
	if err := workflow.SetQueryHandler(c.ctx, contract.StatusQuery, c.status); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}
	if c.st.ContactPath == contract.PathPhoneFirst {
		// the phone-first path came with version 1: a case only takes it from then on; one
		// that began on a worker without it stays visit first, and says so (a later run
		// must not switch it midway)
		c.phoneFirst = c.changed(c.ctx, phoneFirstChange)
		if !c.phoneFirst {
			c.st.ContactPath = contract.PathVisitFirst
		}
	}
	return c.registerActions()
}

// run walks the stages until the case is closed.
func (c *caseRun) run() (*contract.Status, error) {
	if c.st.Stage == contract.StageScreen {
		if err := c.screen(); err != nil {
			return nil, err
		}
	}
	for c.st.Stage != contract.StageClosed {
		var err error
		switch {
		case c.st.Paused && c.st.Stage != contract.StageSurvey:
			err = c.review()
		case c.st.Stage == contract.StagePhoneVerify:
			err = c.phoneVerify()
		case c.st.Stage == contract.StageVisit:
			err = c.visit()
		case c.st.Stage == contract.StageNegotiate:
			err = c.negotiate()
		case c.st.Stage == contract.StageRepayment:
			err = c.repayment()
		case c.st.Stage == contract.StageSurvey:
			err = c.survey()
		default:
			err = fmt.Errorf("case %s: unknown stage %q", c.st.CaseID, c.st.Stage)
		}
		if errors.Is(err, errContinueAsNew) {
			return nil, c.continueAsNew()
		}
		if err != nil {
			return nil, err
		}
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c.st, nil
}

func (c *caseRun) setClock() error {
	clock, err := rules.NewClock(c.st.Epoch, c.st.Policy.DayLength.D(), c.st.Timezone)
	if err != nil {
		return fmt.Errorf("case %s: %w", c.st.CaseID, err)
	}
	c.clock = clock
	return nil
}

func (c *caseRun) now() time.Time { return workflow.Now(c.ctx) }

// status is the status query: the whole state, with today's case date. A query changes
// nothing and is never replayed, so it may read the wall clock: workflow.Now would be the
// time of the last workflow task, stale while the case sleeps.
func (c *caseRun) status() (*contract.Status, error) {
	s := *c.st
	if c.clock.Loc != nil {
		s.CaseDate = c.clock.Date(time.Now()) //workflowcheck:ignore (query: read-only)
	}
	return &s, nil
}

// runLocal runs a local activity (a PostgreSQL read or write) until it succeeds: a
// database that is down stalls the case, it never fails it. Each round retries inside the
// workflow task for ten seconds; between rounds the case waits on a timer (1 s doubling
// to 1 min), so the workflow task ends, status queries are answered, and anything the
// handlers accept meanwhile stays queued.
func (c *caseRun) runLocal(name string, fn, arg, result any) error {
	return c.runLocalIn(c.ctx, name, fn, arg, result)
}

// runLocalIn is runLocal in another coroutine's context (an update's handler, the signals').
func (c *caseRun) runLocalIn(ctx workflow.Context, name string, fn, arg, result any) error {
	local := c.local
	if ctx != c.ctx {
		local = workflow.WithLocalActivityOptions(ctx, localOptions)
	}
	wait := time.Second
	for {
		err := workflow.ExecuteLocalActivity(local, fn, arg).Get(ctx, result)
		var app *temporal.ApplicationError
		switch {
		case err == nil:
			return nil
		case temporal.IsCanceledError(err), errors.As(err, &app) && app.NonRetryable():
			return err
		}
		c.log.Warn("local activity failed: waiting to try again", "activity", name, "case", c.st.CaseID, "wait", wait, "error", err)
		if err := c.publishBeforeBlocking(); err != nil {
			return err
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, time.Minute)
	}
}
