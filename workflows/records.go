package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// maxTimeline is how many timeline entries the state keeps; the audit log keeps all.
const maxTimeline = 100

// record queues one write of the business record. Its key comes from the case's key, the
// workflow's own sequence and the task attempt that made it (attempt), so a retried or
// replayed write is a no-op in PostgreSQL, and a lost attempt's writes are told apart.
func (c *caseRun) record(r activities.Record) {
	c.st.Seq++
	r.Seq = c.st.Seq
	r.CaseID = c.st.CaseKey
	r.Attempt = c.attempt()
	r.Key = c.recordKey(r.Seq, r.Attempt)
	if r.At.IsZero() {
		r.At = c.now()
	}
	c.records = append(c.records, r)
}

// attempt names the workflow task attempt that is running, for the records it makes and
// the tasks it opens: a later attempt's name is greater, so its first write voids what
// an earlier, lost one wrote from the same sequence number on (activities.Persist).
// Replay gives the same name.
//
// Before taskTimeKeys it is the history's length when the task began. A task's second and
// later attempts are transient (the server writes them to the history only when one
// completes), so they all see the same length: a third attempt's records took the
// second's keys and were dropped as repeats, and the second's were never voided. Since,
// it is the workflow's time as the record is made (workflow.Now, in Unix nanoseconds):
// the attempt's start as the server stamped it, plus the worker's elapsed time for the
// local activities before it. A retry begins after its lost attempt failed or timed out,
// so what it makes is later than anything the lost attempt made before it was lost.
func (c *caseRun) attempt() int64 {
	if !c.taskTimeKeys {
		return int64(workflow.GetInfo(c.ctx).GetCurrentHistoryLength())
	}
	return c.now().UnixNano()
}

// event adds a timeline entry and its audit row.
func (c *caseRun) event(kind, by string, accepted bool, reason, violation string, contact bool, detail any) {
	now := c.now()
	c.st.Timeline = append(c.st.Timeline, contract.TimelineEntry{
		At: now, Kind: kind, By: by, Accepted: accepted, Reason: reason, Violation: violation,
	})
	if n := len(c.st.Timeline) - maxTimeline; n > 0 {
		c.st.Timeline = append([]contract.TimelineEntry(nil), c.st.Timeline[n:]...)
		c.st.TimelineDropped += n
	}
	var raw json.RawMessage
	if detail != nil {
		b, err := json.Marshal(detail) //workflowcheck:ignore (plain structs: deterministic)
		if err == nil {
			raw = b
		}
	}
	c.record(activities.Record{Kind: activities.RecordAudit, At: now, Audit: &activities.AuditEntry{
		Kind: kind, Actor: by, Accepted: accepted, Reason: reason, Violation: violation, Contact: contact, Detail: raw,
	}})
	if violation != "" {
		c.st.Violations++
		c.alert("guardrail-violation", fmt.Sprintf("%s by %s: %s", kind, by, violation))
	}
}

// alert tells the supervisors.
func (c *caseRun) alert(kind, message string) {
	c.record(activities.Record{Kind: activities.RecordAlert, Alert: &activities.Alert{Kind: kind, Message: message}})
}

// remoteWrite is the records' write after an answer: three tries of five seconds at most
// (under 20 seconds in all, a second between the first two, two before the last) before
// the run writes them itself.
var remoteWrite = workflow.ActivityOptions{
	StartToCloseTimeout: 5 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3},
}

// maxRemoteBatch bounds the records an answered update's write carries as a regular
// activity: its input is kept in the history (a local activity's is not).
const maxRemoteBatch = 100

// sync writes the queued records, then brings the search attributes and the current
// details up to date.
func (c *caseRun) sync() error {
	if err := c.write(); err != nil {
		return err
	}
	return c.publish()
}

// write writes the queued records and brings the case row up to date, in one activity.
// Every wait calls it before it sleeps. Writes are a local activity, in the workflow task
// that queued them; but when an update was answered in this task they are a regular
// activity: the task then completes at once, sending the answer, and the records follow
// (a worker that dies in between leaves them in the activity's retries). Not when the
// update restricted contact (a hold, a pause, a payment, the end of repayment): the
// reminders' hand-off reads those from PostgreSQL, so they are written before the answer
// leaves (or, answered while a write is under way, before the run's next hand-off). Not
// while a hand-off is under way (allChanges): a write after the answer would hold back
// the writes of the updates answered meanwhile, which the hand-off's next try reads. Nor
// when the run ends or is due to hand over, nor for a large batch.
//
// On the code of allChanges the search attributes wait for the step that follows, in the
// next task (one upsert a step), and the activity tries three times (remoteWrite): if
// PostgreSQL is away the records are written here, as every local write, which publishes
// once its first round of ten seconds fails (runLocalIn): the Web UI is behind by half a
// minute at most, not by the outage.
func (c *caseRun) write() error {
	remote := false
	if c.answering {
		c.answering = false
		remote = !c.ending && !c.restricted() && !(c.latest && c.handingOver) && len(c.records) <= maxRemoteBatch && !c.continueAsNewDue() &&
			c.changed(c.ctx, asyncRecords)
	}
	for {
		// the case row again after each write: updates answered meanwhile may have changed it
		row := c.caseRow()
		if c.lastRow == nil || *row != *c.lastRow {
			c.record(activities.Record{Kind: activities.RecordCase, Case: row})
			c.lastRow = row
		}
		if len(c.records) == 0 {
			break
		}
		if !workflow.IsReplaying(c.ctx) {
			if !c.rowWritten && !slices.ContainsFunc(c.records, isCaseRow) {
				c.records = append(c.records, c.restate(row))
			}
			c.rowWritten = true
		}
		batch := activities.Batch{CaseID: c.st.CaseKey, Records: c.records}
		c.records = nil
		var err error
		if remote {
			if c.latest {
				err = workflow.ExecuteActivity(workflow.WithActivityOptions(c.ctx, remoteWrite), a.Persist, batch).Get(c.ctx, nil)
				if err != nil { // PostgreSQL is away: here, as every write, publishing while it waits
					err = c.runLocal("Persist", a.Persist, batch, nil)
				}
			} else {
				err = workflow.ExecuteActivity(c.ctx, a.Persist, batch).Get(c.ctx, nil) // retried until PostgreSQL takes it
			}
			// what was queued meanwhile (updates keep coming) goes in this task: the loop ends
			remote = false
		} else {
			err = c.runLocal("Persist", a.Persist, batch, nil)
		}
		if err != nil {
			return fmt.Errorf("persist %d records of %s: %w", len(batch.Records), c.st.CaseID, err)
		}
	}
	c.answering = false // the updates answered meanwhile: their records are written too
	return nil
}

// restate is the case row as it stands, for the first write a worker makes of a case it
// took up (its start, or after a restart, an eviction or a lost workflow task), whether
// or not the row changed: a lost attempt may have written a row that its retry, ending
// where the case stood, would not write again (the run writes its row when it changed).
// The row takes no sequence number of its own (it carries the last one) and the time of
// the write, so the newer-wins order of the case row (activities.Persist) puts it over the
// lost attempt's. It rides a batch that is written anyway: no local activity of its own,
// so the commands are the same live and in replay.
func (c *caseRun) restate(row *activities.CaseRow) activities.Record {
	attempt := c.attempt()
	return activities.Record{Kind: activities.RecordCase, Case: row, CaseID: c.st.CaseKey, Seq: c.st.Seq, Attempt: attempt,
		At: c.now(), Key: c.recordKey(c.st.Seq, attempt) + "/case"}
}

// recordKey is a record's idempotency key: the case's key, its sequence number and the
// task attempt that made it.
func (c *caseRun) recordKey(seq int, attempt int64) string {
	return fmt.Sprintf("%s/%d.%d", c.st.CaseKey, seq, attempt)
}

func isCaseRow(r activities.Record) bool { return r.Kind == activities.RecordCase }

func (c *caseRun) caseRow() *activities.CaseRow {
	row := &activities.CaseRow{
		AccountID: c.st.AccountID, Stage: c.st.Stage, Outcome: c.st.Outcome, Paused: c.st.Paused,
		Hold: c.st.Hold, AmountDue: c.st.AmountDue, AmountPaid: c.st.AmountPaid, Region: c.st.Region,
		Violations: c.st.Violations,
	}
	if c.st.Pending != nil {
		row.PendingAction = c.st.Pending.Action
	}
	return row
}

// setStage moves the case to a stage, ending whatever it waited for and adding up the
// time spent in the stage it leaves.
func (c *caseRun) setStage(s contract.Stage) {
	if c.st.Stage == s {
		return
	}
	now := c.now()
	c.st.StageSeconds[c.st.Stage] += now.Sub(c.st.StageSince).Seconds()
	c.st.StageSince = now
	c.endPending("cancelled")
	c.event("stage", "workflow", true, fmt.Sprintf("%s -> %s", c.st.Stage, s), "", false, nil)
	c.st.Stage = s
}

// stamp is a short time for messages.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// restricted reports whether the case restricts contact more than its row in PostgreSQL
// says: a hold or a pause begun, a payment, repayment ended. The reminders' hand-off
// re-checks these there.
func (c *caseRun) restricted() bool {
	last, row := c.lastRow, c.caseRow()
	return last == nil || (row.Hold && !last.Hold) || (row.Paused && !last.Paused) || row.AmountPaid != last.AmountPaid ||
		(last.Stage == contract.StageRepayment && row.Stage != contract.StageRepayment)
}
