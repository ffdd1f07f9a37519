// Command agent is the tool of phone and field agents and supervisors, a client of the
// agents' HTTP API (bin/api): one subcommand per human action of the case workflow, plus
// inbox, show, contact (ask the guardrails before a call or a visit), whoami and token
// (supervisors issue and revoke agents' tokens). It holds no database or Temporal
// credentials: everything goes through the API with the person's own token, and the
// person acting in a payload is the token's owner unless a flag names them.
//
// A payload comes from flags or from --json FILE (- for standard input); it is checked
// against the contract before it is sent, and a rejected action prints the reason (the
// fields at fault) and exits 1. An action is sent with a fresh idempotency key and retried
// with the same key when the API is busy or unreachable, so it applies once.
//
// Environment:
//
//	CASEWORK_API_URL  where the API listens (--api overrides; default http://127.0.0.1:8088)
//	CASEWORK_TOKEN    your own token (or --token-file FILE); a supervisor issues it with
//	                  `agent token issue --agent YOU`
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
)

func main() { cli.Main(rootCmd()) }

// options are the root's flags: where the API is and where the token comes from.
type options struct {
	api       string
	tokenFile string
}

// client is the API's client for a command.
func (o *options) client(cmd *cobra.Command) (*Client, error) {
	return newClient(o.api, o.tokenFile, cmd.ErrOrStderr())
}

func rootCmd() *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "agent",
		Short: "Casework for agents and supervisors: send results into cases, read inboxes and cases",
		Long: `Casework for agents and supervisors: send results into cases, read inboxes and cases.

The tool is a client of the agents' API and acts with your own token:
  CASEWORK_API_URL  where the API listens (--api overrides; default ` + DefaultAPIURL + `)
  CASEWORK_TOKEN    your token (or --token-file FILE); a supervisor issues it with
                    ` + "`agent token issue --agent YOU`" + `
You act in your own name: --agent, --by and --agents default to the token's owner.`,
	}
	root.PersistentFlags().StringVar(&o.api, "api", "", "the agents' API (default $CASEWORK_API_URL, else "+DefaultAPIURL+")")
	root.PersistentFlags().StringVar(&o.tokenFile, "token-file", "", "read your token from this file instead of $CASEWORK_TOKEN")
	for _, a := range actionCmds(o) {
		root.AddCommand(a)
	}
	root.AddCommand(inboxCmd(o), alertsCmd(o), showCmd(o), contactCmd(o), whoamiCmd(o), tokenCmd(o))
	return root
}

// caseID accepts a workflow id (case-A1) or an account id (A1).
func caseID(s string) string {
	if strings.HasPrefix(s, "case-") {
		return s
	}
	return contract.WorkflowID(s)
}

// buildEnv is what a payload's builder may use: the case, the token's owner, and new
// contacts to record.
type buildEnv struct {
	ctx     context.Context
	c       *Client
	caseID  string
	records []newContact
}

// newContact is an address or phone typed into the tool: recorded through the API once
// the payload has passed the shape check, then its id is set into the payload.
type newContact struct {
	kind string // "addresses" or "phones"
	text string
	set  func(id string)
}

// pendingID stands for a new contact's id during the shape check.
const pendingID = "recorded-before-sending"

// me is the token's owner's id.
func (b *buildEnv) me() (string, error) {
	m, err := b.c.me(b.ctx)
	if err != nil {
		return "", err
	}
	return m.AgentID, nil
}

// orMe fills an empty acting person with the token's owner.
func (b *buildEnv) orMe(id *string) error {
	if *id != "" {
		return nil
	}
	var err error
	*id, err = b.me()
	return err
}

// record asks for text to be recorded as a new address or phone of the case's account
// (kind "addresses" or "phones") and returns the id that stands for it until it is.
func (b *buildEnv) record(kind, text, flag string, set func(id string)) (string, error) {
	field := "address"
	if kind == "phones" {
		field = "number"
	}
	if err := contract.ValidText(field, text, 500); err != nil || strings.TrimSpace(text) == "" || strings.Contains(text, "\n") {
		return "", fmt.Errorf("%s: one line of text, at most 500 bytes, no control characters", flag)
	}
	b.records = append(b.records, newContact{kind, text, set})
	return pendingID, nil
}

// builder builds an action's payload from the flags: a pointer, so that recording a new
// contact can set its id.
type builder func(b *buildEnv) (any, error)

// action is one human action's subcommand: its flags fill the payload.
type action struct {
	name  string
	short string
	flags func(cmd *cobra.Command) builder
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func actionCmds(o *options) []*cobra.Command {
	acts := []action{
		{contract.ActionPhoneVerified, "Report a phone-verify call", func(cmd *cobra.Command) builder {
			var p contract.PhoneVerified
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id (default: the token's owner)")
			f.StringVar(&p.CalledAt, "called-at", "", "when the call was made (RFC 3339; default now)")
			f.StringVar(&p.Outcome, "outcome", "", strings.Join(contract.PhoneOutcomes, ", ")+" (default address-changed with --new-address)")
			f.StringVar(&p.AddressID, "address-id", "", "the new address's id (address-changed)")
			var newAddress string
			f.StringVar(&newAddress, "new-address", "", "the new address as text: recorded for the account first, then sent as its id (address-changed)")
			f.BoolVar(&p.DebtorAskedCallback, "callback-asked", false, "the debtor asked to be called again")
			f.StringVar(&p.Note, "note", "", "note")
			return func(b *buildEnv) (any, error) {
				if err := b.orMe(&p.AgentID); err != nil {
					return nil, err
				}
				if p.CalledAt == "" {
					p.CalledAt = now()
				}
				if newAddress != "" {
					if p.AddressID != "" {
						return nil, errors.New("--address-id and --new-address: give one")
					}
					var err error
					if p.AddressID, err = b.record("addresses", newAddress, "--new-address", func(id string) { p.AddressID = id }); err != nil {
						return nil, err
					}
					if p.Outcome == "" {
						p.Outcome = contract.PhoneAddressChanged
					}
				}
				return &p, nil
			}
		}},
		{contract.ActionVisitReport, "Report a field visit", func(cmd *cobra.Command) builder {
			var p contract.VisitReport
			var with []string
			f := cmd.Flags()
			f.StringSliceVar(&p.AgentIDs, "agents", nil, "the field agents at the visit, you among them (two or more; default: you and --with)")
			f.StringSliceVar(&with, "with", nil, "the other field agents at the visit (with you)")
			f.BoolVar(&p.BadgesShown, "badges-shown", false, "every agent showed a work badge")
			f.StringVar(&p.VisitedAt, "visited-at", "", "when (RFC 3339; default now)")
			f.StringVar(&p.AddressID, "address-id", "", "the verified address visited")
			f.BoolVar(&p.DebtorMet, "debtor-met", false, "the debtor was met")
			f.StringVar(&p.LivingConditions, "living-conditions", "", "observed living conditions")
			f.StringVar(&p.Employment, "employment", "", "observed employment")
			f.Int64Var(&p.MonthlyCapacity, "monthly-capacity", 0, "assessed monthly repayment capacity (minor units)")
			f.StringVar(&p.Willingness, "willingness", "", strings.Join(contract.WillingnessLevels, ", "))
			f.StringVar(&p.Note, "note", "", "note")
			return func(b *buildEnv) (any, error) {
				me, err := b.me()
				if err != nil {
					return nil, err
				}
				switch {
				case len(p.AgentIDs) > 0 && len(with) > 0:
					return nil, errors.New("--agents and --with: give one (--agents names everyone, you included; --with the others)")
				case len(p.AgentIDs) == 0:
					p.AgentIDs = append([]string{me}, with...)
				case !slices.Contains(p.AgentIDs, me):
					return nil, fmt.Errorf("--agents %s: you (%s) must be among them: a report is sent by one of the agents who went", strings.Join(p.AgentIDs, ","), me)
				}
				if p.VisitedAt == "" {
					p.VisitedAt = now()
				}
				return &p, nil
			}
		}},
		{contract.ActionNegotiationResult, "Report a negotiation", func(cmd *cobra.Command) builder {
			var p contract.NegotiationResult
			var inst []string
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id (default: the token's owner)")
			f.StringVar(&p.Outcome, "outcome", "", strings.Join(contract.NegotiationOutcomes, ", "))
			f.BoolVar(&p.LegalConsequencesExplained, "legal-consequences-explained", false, "the legal consequences were explained truthfully")
			f.StringArrayVar(&inst, "installment", nil, "DATE:AMOUNT, repeatable (plan-agreed)")
			f.StringVar(&p.Note, "note", "", "note")
			return func(b *buildEnv) (any, error) {
				if err := b.orMe(&p.AgentID); err != nil {
					return nil, err
				}
				p.Installments = nil
				for _, s := range inst {
					date, amt, ok := strings.Cut(s, ":")
					var v int64
					if _, err := fmt.Sscan(amt, &v); !ok || err != nil {
						return nil, fmt.Errorf("--installment %q: want YYYY-MM-DD:AMOUNT", s)
					}
					p.Installments = append(p.Installments, contract.PlanInstallment{DueDate: date, Amount: v})
				}
				return &p, nil
			}
		}},
		{contract.ActionPaymentReceived, "Report a payment (supervisor)", func(cmd *cobra.Command) builder {
			var p contract.PaymentReceived
			f := cmd.Flags()
			f.StringVar(&p.PaymentID, "payment-id", "", "the payment's id (idempotency key)")
			f.Int64Var(&p.Amount, "amount", 0, "amount (minor units)")
			f.StringVar(&p.PaidAt, "paid-at", "", "when (RFC 3339; default now)")
			f.StringVar(&p.Channel, "channel", "", "payment channel")
			return func(*buildEnv) (any, error) {
				if p.PaidAt == "" {
					p.PaidAt = now()
				}
				return &p, nil
			}
		}},
		{contract.ActionAnomaly, "Report an anomaly", func(cmd *cobra.Command) builder {
			var p contract.AnomalyReport
			f := cmd.Flags()
			f.StringVar(&p.Kind, "kind", "", strings.Join(contract.ReportedAnomalyKinds, ", "))
			f.StringVar(&p.ReportedBy, "by", "", "your agent id (default: the token's owner)")
			f.StringVar(&p.PhoneID, "phone-id", "", "new phone's id (contact-changed)")
			f.StringVar(&p.AddressID, "address-id", "", "new address's id (contact-changed)")
			var newPhone, newAddress string
			f.StringVar(&newPhone, "new-phone", "", "the new phone number: recorded for the account first, then sent as its id")
			f.StringVar(&newAddress, "new-address", "", "the new address as text: recorded for the account first, then sent as its id")
			f.StringVar(&p.Note, "note", "", "note")
			return func(b *buildEnv) (any, error) {
				if err := b.orMe(&p.ReportedBy); err != nil {
					return nil, err
				}
				var err error
				if newPhone != "" {
					if p.PhoneID != "" {
						return nil, errors.New("--phone-id and --new-phone: give one")
					}
					if p.PhoneID, err = b.record("phones", newPhone, "--new-phone", func(id string) { p.PhoneID = id }); err != nil {
						return nil, err
					}
				}
				if newAddress != "" {
					if p.AddressID != "" {
						return nil, errors.New("--address-id and --new-address: give one")
					}
					if p.AddressID, err = b.record("addresses", newAddress, "--new-address", func(id string) { p.AddressID = id }); err != nil {
						return nil, err
					}
				}
				return &p, nil
			}
		}},
		{contract.ActionSurveyResult, "Report the callback survey", func(cmd *cobra.Command) builder {
			var p contract.SurveyResult
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id (default: the token's owner)")
			f.BoolVar(&p.Reached, "reached", false, "the debtor was reached")
			f.IntVar(&p.Satisfaction, "satisfaction", 0, "1-5 (when reached)")
			f.BoolVar(&p.Complaint, "complaint", false, "the debtor complained")
			f.StringVar(&p.Comments, "comments", "", "comments")
			return func(b *buildEnv) (any, error) {
				if err := b.orMe(&p.AgentID); err != nil {
					return nil, err
				}
				return &p, nil
			}
		}},
		supervisorAction(contract.ActionPause, "Pause a case (supervisor)"),
		supervisorAction(contract.ActionResume, "Resume a paused case or end a dispute hold (supervisor)"),
		{contract.ActionReassign, "Reassign a role's part of a case (supervisor)", func(cmd *cobra.Command) builder {
			var p contract.Reassign
			f := cmd.Flags()
			f.StringVar(&p.By, "by", "", "your supervisor id (default: the token's owner)")
			f.StringVar(&p.Role, "role", "", "phone or field")
			f.StringSliceVar(&p.AgentIDs, "agents", nil, "the agents to assign")
			return func(b *buildEnv) (any, error) {
				if err := b.orMe(&p.By); err != nil {
					return nil, err
				}
				return &p, nil
			}
		}},
		supervisorAction(contract.ActionClose, "Close a case (supervisor): outcome closed-by-supervisor"),
	}
	var cmds []*cobra.Command
	for _, a := range acts {
		cmds = append(cmds, actionCmd(o, a))
	}
	return cmds
}

func supervisorAction(name, short string) action {
	return action{name, short, func(cmd *cobra.Command) builder {
		var p contract.SupervisorAction
		cmd.Flags().StringVar(&p.By, "by", "", "your supervisor id (default: the token's owner)")
		cmd.Flags().StringVar(&p.Reason, "reason", "", "why")
		return func(b *buildEnv) (any, error) {
			if err := b.orMe(&p.By); err != nil {
				return nil, err
			}
			return &p, nil
		}
	}}
}

// actorField is the field of each action's payload that names who acts (a list for a
// visit); a payment names nobody.
var actorField = map[string]string{
	contract.ActionPhoneVerified:     "agentId",
	contract.ActionVisitReport:       "agentIds",
	contract.ActionNegotiationResult: "agentId",
	contract.ActionAnomaly:           "reportedBy",
	contract.ActionSurveyResult:      "agentId",
	contract.ActionPause:             "by",
	contract.ActionResume:            "by",
	contract.ActionReassign:          "by",
	contract.ActionClose:             "by",
}

func actionCmd(o *options, a action) *cobra.Command {
	var jsonFile string
	cmd := &cobra.Command{
		Use:   a.name + " CASE",
		Short: a.short,
		Long: a.short + `.

CASE is the case's workflow id (case-A1) or its account id (A1). The action is sent
through the agents' API as an update of the case, in your name (the token's owner's)
unless a flag names you; it is checked against the contract before it is sent. A
rejected action prints the reason and exits 1.`,
		Args: cobra.ExactArgs(1),
	}
	build := a.flags(cmd)
	cmd.Flags().StringVar(&jsonFile, "json", "", "read the payload from this JSON file (- for standard input) instead of flags; a missing "+actorFieldHelp(a.name)+" is you")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		c, err := o.client(cmd)
		if err != nil {
			return err
		}
		id := caseID(args[0])
		var raw []byte
		var v any
		b := &buildEnv{ctx: ctx, c: c, caseID: id}
		if jsonFile != "" {
			if payloadFlagSet(cmd) {
				return errors.New("--json and payload flags: the payload comes from the one or the others")
			}
			if raw, err = readPayload(cmd.InOrStdin(), jsonFile); err != nil {
				return err
			}
			if raw, err = fillActor(ctx, c, a.name, raw); err != nil {
				return err
			}
		} else {
			if v, err = build(b); err != nil {
				return err
			}
			if raw, err = json.Marshal(v); err != nil {
				return err
			}
		}
		// the same decoding and rules as the workflow, before anything is sent
		if _, err := contract.Decode(a.name, raw); err != nil {
			return err
		}
		if len(b.records) > 0 {
			for _, r := range b.records {
				rid, err := c.recordContact(ctx, id, r.kind, r.text)
				if err != nil {
					return err
				}
				r.set(rid)
			}
			if raw, err = json.Marshal(v); err != nil {
				return err
			}
			if _, err := contract.Decode(a.name, raw); err != nil {
				return err
			}
		}
		res, err := c.act(ctx, id, a.name, raw)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				return fmt.Errorf("%s to %s: %w", a.name, id, err)
			}
			switch api.Status {
			case http.StatusUnprocessableEntity, http.StatusBadRequest:
				api.Message = strings.TrimPrefix(api.Message, a.name+" rejected: ") // said once is enough
				return fmt.Errorf("%s rejected by %s: %w", a.name, id, err)
			case http.StatusForbidden:
				return fmt.Errorf("%s refused for %s: %w", a.name, id, err)
			}
			return fmt.Errorf("%s to %s: %w", a.name, id, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s accepted by %s: %s (stage %s", a.name, id, res.Message, res.Stage)
		if res.Outcome != "" {
			fmt.Fprintf(cmd.OutOrStdout(), ", outcome %s", res.Outcome)
		}
		if res.Paused {
			fmt.Fprint(cmd.OutOrStdout(), ", paused")
		}
		fmt.Fprintln(cmd.OutOrStdout(), ")")
		return nil
	}
	return cmd
}

func actorFieldHelp(action string) string {
	if f, ok := actorField[action]; ok {
		return `"` + f + `"`
	}
	return "acting person"
}

// payloadFlagSet tells whether a payload flag was given on the command line.
func payloadFlagSet(cmd *cobra.Command) bool {
	n := cmd.Flags().NFlag()
	for _, f := range []string{"json", "api", "token-file"} {
		if cmd.Flags().Changed(f) {
			n--
		}
	}
	return n > 0
}

// fillActor puts the token's owner into a JSON payload that names nobody where the action
// wants its acting person. Anything else is left as it is, for the shape check to judge.
func fillActor(ctx context.Context, c *Client, action string, raw []byte) ([]byte, error) {
	field, ok := actorField[action]
	if !ok {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw, nil
	}
	if v, ok := m[field]; ok {
		switch string(bytes.TrimSpace(v)) {
		case "null", `""`, "[]":
		default:
			return raw, nil
		}
	}
	me, err := c.me(ctx)
	if err != nil {
		return nil, err
	}
	var who any = me.AgentID
	if field == "agentIds" {
		who = []string{me.AgentID}
	}
	if m[field], err = json.Marshal(who); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func readPayload(stdin io.Reader, jsonFile string) ([]byte, error) {
	var b []byte
	var err error
	if jsonFile == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(jsonFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read payload: %w", err)
	}
	return b, nil
}

func inboxCmd(o *options) *cobra.Command {
	var agent string
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Your open tasks, soonest deadline first (a supervisor may ask for another agent's)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			path := "/v1/inbox"
			if agent != "" {
				path += "?" + url.Values{"agent": {agent}}.Encode()
			}
			var in struct {
				AgentID string          `json:"agentId"`
				Tasks   []contract.Task `json:"tasks"`
			}
			if err := c.do(cmd.Context(), http.MethodGet, path, nil, &in); err != nil {
				return fmt.Errorf("inbox: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CASE\tACTION\tDEADLINE\tCONTACT ALLOWED FROM\tWHY NOT EARLIER\tADDRESS")
			for _, t := range in.Tasks {
				nb := "now"
				if t.NotBefore != nil && t.NotBefore.After(time.Now()) {
					nb = t.NotBefore.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.CaseID, t.Action, t.Deadline.Local().Format(time.DateTime), nb, t.NotBeforeReason, t.AddressID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "the agent whose inbox to read (default: yours; another's for supervisors only)")
	return cmd
}

// caseStatus reads a case's status through the API.
func caseStatus(ctx context.Context, c *Client, id string) (*contract.Status, error) {
	var st contract.Status
	if err := c.do(ctx, http.MethodGet, casePath(caseID(id)), nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func showCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "show CASE",
		Short: "The case's status and timeline (your cases; any case for supervisors)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			st, err := caseStatus(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return printStatus(cmd.OutOrStdout(), st)
		},
	}
}

func whoamiCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Who your token belongs to, their role, and when it expires",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			m, err := c.me(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%s), token valid until %s\n", m.AgentID, m.Role, m.ExpiresAt.Local().Format(time.DateTime))
			return nil
		},
	}
}

func printStatus(w io.Writer, st *contract.Status) error {
	fmt.Fprintf(w, "%s  account %s  region %s  stage %s", st.CaseID, st.AccountID, st.Region, st.Stage)
	if st.Outcome != "" {
		fmt.Fprintf(w, "  outcome %s", st.Outcome)
	}
	fmt.Fprintf(w, "\npaid %d of %d %s  paused %t  hold %t  verified address %s\n", st.AmountPaid, st.AmountDue, st.Currency, st.Paused, st.Hold, st.VerifiedAddressID)
	if p := st.Pending; p != nil {
		fmt.Fprintf(w, "waiting for %s from %v by %s", p.Action, p.Assignees, p.Deadline.Local().Format(time.DateTime))
		if !p.NotBefore.IsZero() {
			fmt.Fprintf(w, "; contact allowed from %s (%s)", p.NotBefore.Local().Format(time.DateTime), p.NotBeforeReason)
		}
		fmt.Fprintln(w)
	}
	if st.Plan != nil {
		fmt.Fprintf(w, "plan %d:\n", st.Plan.Number)
		for i, in := range st.Plan.Installments {
			fmt.Fprintf(w, "  %d. %s  %d  paid %d\n", i+1, in.DueDate, in.Amount, in.Paid)
		}
	}
	for _, a := range st.Anomalies {
		fmt.Fprintf(w, "anomaly %s by %s in %s: %s\n", a.Kind, a.By, a.Stage, a.Route)
	}
	fmt.Fprintln(w, "timeline:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, e := range st.Timeline {
		ok := "ok"
		if !e.Accepted {
			ok = "REJECTED"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format(time.DateTime), e.Kind, e.By, ok, e.Reason, e.Violation)
	}
	return tw.Flush()
}

// alertsCmd lists what the cases told the supervisors, and acknowledges an alert.
func alertsCmd(o *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Alerts for supervisors: missed deadlines, guardrail violations, complaints, disputes (newest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			path := "/v1/alerts"
			if all {
				path += "?all=true"
			}
			var in struct {
				Alerts []contract.Alert `json:"alerts"`
			}
			if err := c.do(cmd.Context(), http.MethodGet, path, nil, &in); err != nil {
				return fmt.Errorf("alerts: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tCASE\tKIND\tMESSAGE\tACKNOWLEDGED\tKEY")
			for _, a := range in.Alerts {
				ack := ""
				if a.AcknowledgedAt != nil {
					ack = a.AcknowledgedBy + " " + a.AcknowledgedAt.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.CreatedAt.Local().Format(time.DateTime), a.CaseID, a.Kind, a.Message, ack, a.Key)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "acknowledged alerts too")
	ack := &cobra.Command{
		Use:   "ack KEY",
		Short: "Acknowledge an alert (once; written to the audit log)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			var a contract.Alert
			if err := c.do(cmd.Context(), http.MethodPost, "/v1/alerts/ack", map[string]string{"alertKey": args[0]}, &a); err != nil {
				return fmt.Errorf("acknowledge %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "alert %s (%s, %s) acknowledged by %s\n", a.Key, a.Kind, a.CaseID, a.AcknowledgedBy)
			return nil
		},
	}
	cmd.AddCommand(ack)
	return cmd
}
