// Command agent is the tool of phone and field agents and supervisors: one subcommand per
// human action of the case workflow (sent as a workflow update, or as a signal with
// --signal), plus inbox and show. A payload comes from flags or from --json FILE (- for
// standard input); a rejected action prints the reason and exits 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/platform"
)

func main() { platform.Main(rootCmd()) }

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "agent",
		Short: "Casework for agents and supervisors: send results into cases, read inboxes and cases",
	}
	for _, a := range actionCmds() {
		root.AddCommand(a)
	}
	root.AddCommand(inboxCmd(), showCmd(), contactCmd(), tokenCmd())
	return root
}

// caseID accepts a workflow id (case-A1) or an account id (A1).
func caseID(s string) string {
	if strings.HasPrefix(s, "case-") {
		return s
	}
	return contract.WorkflowID(s)
}

// builder builds an action's payload from the flags, for the case.
type builder func(ctx context.Context, caseID string) (any, error)

// action is one human action's subcommand: its flags fill the payload.
type action struct {
	name  string
	short string
	flags func(cmd *cobra.Command) builder
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func actionCmds() []*cobra.Command {
	acts := []action{
		{contract.ActionPhoneVerified, "Report a phone-verify call", func(cmd *cobra.Command) builder {
			var p contract.PhoneVerified
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id")
			f.StringVar(&p.CalledAt, "called-at", "", "when the call was made (RFC 3339; default now)")
			f.StringVar(&p.Outcome, "outcome", "", strings.Join(contract.PhoneOutcomes, ", "))
			f.StringVar(&p.AddressID, "address-id", "", "the new address's id (address-changed)")
			var newAddress string
			f.StringVar(&newAddress, "new-address", "", "the new address as text: recorded for the account first, then sent as its id (address-changed)")
			f.BoolVar(&p.DebtorAskedCallback, "callback-asked", false, "the debtor asked to be called again")
			f.StringVar(&p.Note, "note", "", "note")
			return func(ctx context.Context, caseID string) (any, error) {
				if p.CalledAt == "" {
					p.CalledAt = now()
				}
				if newAddress != "" {
					id, err := recordContact(ctx, caseID, book.RecordAddress, newAddress, p.AgentID)
					if err != nil {
						return nil, err
					}
					p.AddressID = id
					if p.Outcome == "" {
						p.Outcome = contract.PhoneAddressChanged
					}
				}
				return p, nil
			}
		}},
		{contract.ActionVisitReport, "Report a field visit", func(cmd *cobra.Command) builder {
			var p contract.VisitReport
			f := cmd.Flags()
			f.StringSliceVar(&p.AgentIDs, "agents", nil, "the field agents at the visit (two or more)")
			f.BoolVar(&p.BadgesShown, "badges-shown", false, "every agent showed a work badge")
			f.StringVar(&p.VisitedAt, "visited-at", "", "when (RFC 3339; default now)")
			f.StringVar(&p.AddressID, "address-id", "", "the verified address visited")
			f.BoolVar(&p.DebtorMet, "debtor-met", false, "the debtor was met")
			f.StringVar(&p.LivingConditions, "living-conditions", "", "observed living conditions")
			f.StringVar(&p.Employment, "employment", "", "observed employment")
			f.Int64Var(&p.MonthlyCapacity, "monthly-capacity", 0, "assessed monthly repayment capacity (minor units)")
			f.StringVar(&p.Willingness, "willingness", "", strings.Join(contract.WillingnessLevels, ", "))
			f.StringVar(&p.Note, "note", "", "note")
			return func(context.Context, string) (any, error) {
				if p.VisitedAt == "" {
					p.VisitedAt = now()
				}
				return p, nil
			}
		}},
		{contract.ActionNegotiationResult, "Report a negotiation", func(cmd *cobra.Command) builder {
			var p contract.NegotiationResult
			var inst []string
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id")
			f.StringVar(&p.Outcome, "outcome", "", strings.Join(contract.NegotiationOutcomes, ", "))
			f.BoolVar(&p.LegalConsequencesExplained, "legal-consequences-explained", false, "the legal consequences were explained truthfully")
			f.StringArrayVar(&inst, "installment", nil, "DATE:AMOUNT, repeatable (plan-agreed)")
			f.StringVar(&p.Note, "note", "", "note")
			return func(context.Context, string) (any, error) {
				for _, s := range inst {
					date, amt, ok := strings.Cut(s, ":")
					var v int64
					if _, err := fmt.Sscan(amt, &v); !ok || err != nil {
						return nil, fmt.Errorf("--installment %q: want YYYY-MM-DD:AMOUNT", s)
					}
					p.Installments = append(p.Installments, contract.PlanInstallment{DueDate: date, Amount: v})
				}
				return p, nil
			}
		}},
		{contract.ActionPaymentReceived, "Report a payment", func(cmd *cobra.Command) builder {
			var p contract.PaymentReceived
			f := cmd.Flags()
			f.StringVar(&p.PaymentID, "payment-id", "", "the payment's id (idempotency key)")
			f.Int64Var(&p.Amount, "amount", 0, "amount (minor units)")
			f.StringVar(&p.PaidAt, "paid-at", "", "when (RFC 3339; default now)")
			f.StringVar(&p.Channel, "channel", "", "payment channel")
			return func(context.Context, string) (any, error) {
				if p.PaidAt == "" {
					p.PaidAt = now()
				}
				return p, nil
			}
		}},
		{contract.ActionAnomaly, "Report an anomaly", func(cmd *cobra.Command) builder {
			var p contract.AnomalyReport
			f := cmd.Flags()
			f.StringVar(&p.Kind, "kind", "", strings.Join(contract.ReportedAnomalyKinds, ", "))
			f.StringVar(&p.ReportedBy, "by", "", "your agent id")
			f.StringVar(&p.PhoneID, "phone-id", "", "new phone's id (contact-changed)")
			f.StringVar(&p.AddressID, "address-id", "", "new address's id (contact-changed)")
			var newPhone, newAddress string
			f.StringVar(&newPhone, "new-phone", "", "the new phone number: recorded for the account first, then sent as its id")
			f.StringVar(&newAddress, "new-address", "", "the new address as text: recorded for the account first, then sent as its id")
			f.StringVar(&p.Note, "note", "", "note")
			return func(ctx context.Context, caseID string) (any, error) {
				var err error
				if newPhone != "" {
					if p.PhoneID, err = recordContact(ctx, caseID, book.RecordPhone, newPhone, p.ReportedBy); err != nil {
						return nil, err
					}
				}
				if newAddress != "" {
					if p.AddressID, err = recordContact(ctx, caseID, book.RecordAddress, newAddress, p.ReportedBy); err != nil {
						return nil, err
					}
				}
				return p, nil
			}
		}},
		{contract.ActionSurveyResult, "Report the callback survey", func(cmd *cobra.Command) builder {
			var p contract.SurveyResult
			f := cmd.Flags()
			f.StringVar(&p.AgentID, "agent", "", "your agent id")
			f.BoolVar(&p.Reached, "reached", false, "the debtor was reached")
			f.IntVar(&p.Satisfaction, "satisfaction", 0, "1-5 (when reached)")
			f.BoolVar(&p.Complaint, "complaint", false, "the debtor complained")
			f.StringVar(&p.Comments, "comments", "", "comments")
			return func(context.Context, string) (any, error) { return p, nil }
		}},
		supervisorAction(contract.ActionPause, "Pause a case (supervisor)"),
		supervisorAction(contract.ActionResume, "Resume a paused case or end a dispute hold (supervisor)"),
		{contract.ActionReassign, "Reassign a role's part of a case (supervisor)", func(cmd *cobra.Command) builder {
			var p contract.Reassign
			f := cmd.Flags()
			f.StringVar(&p.By, "by", "", "your supervisor id")
			f.StringVar(&p.Role, "role", "", "phone or field")
			f.StringSliceVar(&p.AgentIDs, "agents", nil, "the agents to assign")
			return func(context.Context, string) (any, error) { return p, nil }
		}},
		supervisorAction(contract.ActionClose, "Close a case (supervisor): outcome closed-by-supervisor"),
	}
	var cmds []*cobra.Command
	for _, a := range acts {
		cmds = append(cmds, actionCmd(a))
	}
	return cmds
}

func supervisorAction(name, short string) action {
	return action{name, short, func(cmd *cobra.Command) builder {
		var p contract.SupervisorAction
		cmd.Flags().StringVar(&p.By, "by", "", "your supervisor id")
		cmd.Flags().StringVar(&p.Reason, "reason", "", "why")
		return func(context.Context, string) (any, error) { return p, nil }
	}}
}

func actionCmd(a action) *cobra.Command {
	var jsonFile string
	var asSignal bool
	cmd := &cobra.Command{
		Use:   a.name + " CASE",
		Short: a.short,
		Args:  cobra.ExactArgs(1),
	}
	build := a.flags(cmd)
	cmd.Flags().StringVar(&jsonFile, "json", "", "read the payload from this JSON file (- for standard input) instead of flags")
	cmd.Flags().BoolVar(&asSignal, "signal", false, "send as a signal (fire and forget) instead of an update")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		raw, err := payload(cmd.Context(), caseID(args[0]), cmd.InOrStdin(), jsonFile, build)
		if err != nil {
			return err
		}
		// the same decoding and rules as the workflow, before anything is sent
		if _, err := contract.Decode(a.name, raw); err != nil {
			return err
		}
		tc, err := platform.DialTemporalQuiet()
		if err != nil {
			return err
		}
		defer tc.Close()
		id := caseID(args[0])
		if asSignal {
			if err := tc.SignalWorkflow(cmd.Context(), id, "", a.name, json.RawMessage(raw)); err != nil {
				return fmt.Errorf("signal %s to %s: %w", a.name, id, err)
			}
			fmt.Printf("%s sent to %s as a signal (see `agent show %s` for the result)\n", a.name, id, args[0])
			return nil
		}
		h, err := tc.UpdateWorkflow(cmd.Context(), client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: a.name, Args: []any{json.RawMessage(raw)}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		var res map[string]any
		if err == nil {
			err = h.Get(cmd.Context(), &res)
		}
		if err != nil {
			return fmt.Errorf("%s rejected by %s: %w", a.name, id, unwrap(err))
		}
		fmt.Printf("%s accepted by %s: %v (stage %v)\n", a.name, id, res["message"], res["stage"])
		return nil
	}
	return cmd
}

// unwrap keeps the workflow's own message of a rejection.
func unwrap(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return errors.New(app.Message())
	}
	return err
}

func payload(ctx context.Context, caseID string, stdin io.Reader, jsonFile string, build builder) ([]byte, error) {
	if jsonFile == "" {
		v, err := build(ctx, caseID)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
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

func inboxCmd() *cobra.Command {
	var agent string
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "An agent's open tasks, soonest deadline first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if agent == "" {
				return errors.New("inbox: --agent is required")
			}
			var tasks []httpapi.Task
			err := withDB(cmd.Context(), func(db *pgxpool.Pool) (err error) {
				tasks, err = httpapi.Inbox(cmd.Context(), db, agent)
				return err
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CASE\tACTION\tDEADLINE\tCONTACT ALLOWED FROM\tWHY NOT EARLIER\tADDRESS")
			for _, t := range tasks {
				nb := "now"
				if t.NotBefore != nil && t.NotBefore.After(time.Now()) {
					nb = t.NotBefore.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.CaseID, t.Action, t.Deadline.Local().Format(time.DateTime), nb, t.NotBeforeReason, t.AddressID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "your agent id")
	return cmd
}

func showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show CASE",
		Short: "The case's status and timeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := caseStatus(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printStatus(os.Stdout, st)
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
