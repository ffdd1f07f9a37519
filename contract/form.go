package contract

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What people type becomes a payload here, for every tool alike: the console's forms and
// bin/agent's flags give the same input (a field's JSON name → what was typed), the same
// defaults apply (the actor is the signed-in person, an empty time is now), and the same
// field-level messages come back.

// NewKey is the input that carries a new address or phone typed as text for a field.
func NewKey(field string) string { return field + ".new" }

// pendingID stands for a new contact's id while the payload's shape is checked.
const pendingID = "recorded-before-sending"

// NewContact is an address or a phone a person typed: recorded for the case's account
// before the action is sent, then sent as its id (personal data stays in PostgreSQL).
type NewContact struct {
	Field string    // the payload's field
	Kind  FieldKind // KindAddress or KindPhone
	Text  string
}

// Recorder records a new address or phone of the case's account and returns its id.
type Recorder func(ctx context.Context, kind FieldKind, text string) (string, error)

// Draft is a payload built from what a person typed, not yet checked.
type Draft struct {
	obj map[string]any
	New []NewContact
}

// JSON is the draft's payload.
func (d *Draft) JSON() []byte { return MustJSON(d.obj) }

// Build turns what a person typed into a draft of the action's payload. Inputs that are not
// fields of the action are ignored; the actor field is me (a list of actors gets me
// added); an empty time is now. What cannot be read (a number that is not one) is a
// *ValidationError naming the field.
func (s *ActionSpec) Build(in map[string][]string, me string, now time.Time) (*Draft, error) {
	d := &Draft{obj: map[string]any{}}
	var p problems
	one := func(name string) string {
		vs := in[name]
		if len(vs) > 1 {
			p.add(name, "give one value, not %d", len(vs))
		}
		if len(vs) == 0 {
			return ""
		}
		return strings.TrimSpace(vs[0])
	}
	for _, f := range s.Fields {
		switch f.Kind {
		case KindBool:
			switch v := strings.ToLower(one(f.Name)); v {
			case "", "false", "off", "no", "0":
			case "true", "on", "yes", "1":
				d.obj[f.Name] = true
			default:
				p.add(f.Name, "must be yes or no, not %q", v)
			}
		case KindMoney, KindNumber:
			if v := one(f.Name); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					p.add(f.Name, "must be a whole number%s, not %q", map[bool]string{true: " (minor units)"}[f.Kind == KindMoney], v)
					continue
				}
				d.obj[f.Name] = n
			}
		case KindTime:
			v := one(f.Name)
			if v == "" {
				v = now.UTC().Format(time.RFC3339Nano)
			}
			d.obj[f.Name] = v
		case KindAgents:
			var ids []string
		list:
			for _, v := range in[f.Name] {
				for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
					if len(ids) > MaxAgentIDs { // too many: the contract says so; reading on is wasted work
						break list
					}
					if !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				}
			}
			if f.Name == s.Actor && me != "" && !slices.Contains(ids, me) {
				ids = append([]string{me}, ids...)
			}
			if ids != nil {
				d.obj[f.Name] = ids
			}
		case KindInstallments:
			var plan []PlanInstallment
			n := 0
			for _, v := range in[f.Name] {
				for line := range strings.Lines(v) {
					if line = strings.TrimSpace(line); line == "" {
						continue
					}
					date, amount, ok := strings.Cut(strings.ReplaceAll(line, " ", ":"), ":")
					a, err := strconv.ParseInt(strings.Trim(amount, ":"), 10, 64)
					if !ok || err != nil {
						p.add(f.Name+"["+strconv.Itoa(n)+"]", "want YYYY-MM-DD:AMOUNT, not %q", line)
					}
					plan = append(plan, PlanInstallment{DueDate: date, Amount: a})
					n++
				}
			}
			if plan != nil {
				d.obj[f.Name] = plan
			}
		default:
			v := one(f.Name)
			if f.Name == s.Actor && me != "" {
				if v != "" && v != me {
					p.add(f.Name, "%s: you act in your own name (%s), never in another's", v, me)
					continue
				}
				v = me
			}
			if f.Kind == KindAddress || f.Kind == KindPhone {
				if text := one(NewKey(f.Name)); text != "" {
					if v != "" {
						p.add(NewKey(f.Name), "give the id or the new one, not both")
						continue
					}
					if err := ValidText(NewKey(f.Name), text, 500); err != nil || strings.ContainsAny(text, "\n\t") {
						p.add(NewKey(f.Name), "one line of text, at most 500 bytes, no control characters")
						continue
					}
					d.New = append(d.New, NewContact{Field: f.Name, Kind: f.Kind, Text: text})
					v = pendingID
				}
			}
			if v != "" {
				d.obj[f.Name] = v
			}
		}
	}
	if err := p.err(s.Name); err != nil {
		return nil, err
	}
	return d, nil
}

// Prepare turns what a person typed into the payload to send: built, checked against the
// contract (field-level messages), and only then are new addresses and phones recorded
// with record and their ids put in the payload.
func (t ActionTable) Prepare(ctx context.Context, action string, in map[string][]string, me string, now time.Time, record Recorder) ([]byte, error) {
	spec, ok := t.Lookup(action)
	if !ok {
		return nil, Reject(action, "action", "unknown action (want one of %s)", strings.Join(t.Names(), ", "))
	}
	d, err := spec.Build(in, me, now)
	if err != nil {
		return nil, err
	}
	if _, err := t.Decode(action, d.JSON()); err != nil {
		return nil, err
	}
	for _, n := range d.New {
		if record == nil {
			return nil, Reject(action, NewKey(n.Field), "a new address or phone cannot be recorded here")
		}
		id, err := record(ctx, n.Kind, n.Text)
		if err != nil {
			return nil, Reject(action, NewKey(n.Field), "%v", err)
		}
		d.obj[n.Field] = id
	}
	return d.JSON(), nil
}
