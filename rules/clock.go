// Package rules holds the compliance guardrails that decide when a case may be contacted:
// the case calendar in the debtor's time zone, the contact window, the call cap and the
// pause after a conversation. The workflow uses them to schedule and to flag; the agent
// tools use the same functions to refuse a contact before it starts.
package rules

import (
	"fmt"
	"time"

	"github.com/casework/casework/contract"
)

// Clock is a case's calendar: the debtor's local time, with days that last DayLength of
// real time (24h in production, seconds in a demo). Epoch is where case time and real
// time agree; with 24h days the two are the same everywhere.
type Clock struct {
	Epoch     time.Time
	DayLength time.Duration
	Loc       *time.Location
}

// NewClock returns the calendar of a case.
func NewClock(epoch time.Time, dayLength time.Duration, timezone string) (Clock, error) {
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return Clock{}, fmt.Errorf("timezone %q: %w", timezone, err)
	}
	if dayLength <= 0 {
		dayLength = contract.Day
	}
	return Clock{Epoch: epoch, DayLength: dayLength, Loc: loc}, nil
}

func (c Clock) scaled() bool { return c.DayLength != contract.Day }

// Local is the debtor-local case time at real time t.
func (c Clock) Local(t time.Time) time.Time {
	if !c.scaled() {
		return t.In(c.Loc)
	}
	d := time.Duration(float64(t.Sub(c.Epoch)) * float64(contract.Day) / float64(c.DayLength))
	return c.Epoch.Add(d).In(c.Loc)
}

// Real is the real time at which the case time local comes.
func (c Clock) Real(local time.Time) time.Time {
	if !c.scaled() {
		return local
	}
	d := time.Duration(float64(local.Sub(c.Epoch)) * float64(c.DayLength) / float64(contract.Day))
	return c.Epoch.Add(d)
}

// Date is the debtor-local date (YYYY-MM-DD) at real time t.
func (c Clock) Date(t time.Time) string { return c.Local(t).Format(time.DateOnly) }

// DateAt is the real time of hour:00 debtor-local on the date.
func (c Clock) DateAt(date string, hour int) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, c.Loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", date, err)
	}
	return c.Real(d.Add(time.Duration(hour) * time.Hour)), nil
}

// EndOfDate is the real time at which the debtor-local date ends.
func (c Clock) EndOfDate(date string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, c.Loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", date, err)
	}
	return c.Real(d.AddDate(0, 0, 1)), nil
}
