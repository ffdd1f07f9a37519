// Command agent is the tool of phone and field agents and supervisors, a client of the
// agents' HTTP API (bin/api, through caseclient.Remote): one subcommand per human action
// of the action table (contract.Table), with a flag per field of the action's payload,
// plus inbox, show, contact (ask the guardrails before a call or a visit), whoami and
// token (supervisors issue and revoke agents' tokens). It holds no database or Temporal
// credentials: everything goes through the API with the person's own token, and the
// person acting in a payload is the token's owner unless a flag names them.
//
// A payload comes from flags or from --json FILE (- for standard input); it is checked
// against the contract before it is sent (a new address or phone typed as text is
// recorded only then), and a rejected action prints the reason (the fields at fault) and
// exits 1. An action is sent with a fresh idempotency key and retried with the same key
// when the API is busy or unreachable, so it applies once.
//
// Environment:
//
//	CASEWORK_API_URL  where the API listens (--api overrides; default http://127.0.0.1:8088)
//	CASEWORK_TOKEN    your own token (or --token-file FILE); a supervisor issues it with
//	                  `agent token issue --agent YOU`
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
)

func main() { cli.Main(rootCmd(contract.Table), env...) }

// env is the environment bin/agent reads.
var env = []cli.EnvVar{
	{Name: "CASEWORK_API_URL", Help: "where the agents' API listens (--api overrides; default " + caseclient.DefaultAPIURL + ")"},
	{Name: "CASEWORK_TOKEN", Help: "your API token (or --token-file FILE); a supervisor issues it: agent token issue --agent YOU"},
}

// options are the root's flags: where the API is and where the token comes from.
type options struct {
	api       string
	tokenFile string
}

// remote is the API's client for a command.
func (o *options) remote(cmd *cobra.Command) (*caseclient.Remote, error) {
	return caseclient.NewRemote(o.api, o.tokenFile, cmd.ErrOrStderr())
}

// rootCmd is the tool with one subcommand per action of the table (main passes
// contract.Table).
func rootCmd(table contract.ActionTable) *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "agent",
		Short: "Casework for agents and supervisors: send results into cases, read inboxes and cases",
		Long: `Casework for agents and supervisors: send results into cases, read inboxes and cases.

The tool is a client of the agents' API and acts with your own token (CASEWORK_TOKEN, see
Environment below). You act in your own name: the flag of an action that names who acts is you by default,
and a list of agents acting together gets you added.`,
	}
	root.PersistentFlags().StringVar(&o.api, "api", "", "the agents' API (default $CASEWORK_API_URL, else "+caseclient.DefaultAPIURL+")")
	root.PersistentFlags().StringVar(&o.tokenFile, "token-file", "", "read your token from this file instead of $CASEWORK_TOKEN")
	for i := range table {
		root.AddCommand(actionCmd(o, table, &table[i]))
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

// actionFlag is a flag of an action's subcommand and the input it fills: a field's JSON
// name, or contract.NewKey of it for a new address or phone typed as text.
type actionFlag struct {
	flag, input string
}

// actionCmd is the subcommand of one action of the table: a flag per field of the
// payload, or the payload from --json.
func actionCmd(o *options, table contract.ActionTable, spec *contract.ActionSpec) *cobra.Command {
	var jsonFile string
	cmd := &cobra.Command{
		Use:   spec.Name + " CASE",
		Short: actionShort(spec),
		Long:  actionLong(spec),
		Args:  cobra.ExactArgs(1),
	}
	fs := cmd.Flags()
	var flags []actionFlag
	unused := func(name string) string {
		if fs.Lookup(name) != nil { // the table is code: a clash is a programming error
			panic(fmt.Sprintf("agent: action %s: flag --%s defined twice", spec.Name, name))
		}
		return name
	}
	define := func(name, input string) {
		flags = append(flags, actionFlag{unused(name), input})
	}
	for _, f := range spec.Fields {
		name := f.FlagName()
		define(name, f.Name)
		switch f.Kind {
		case contract.KindBool:
			fs.Bool(name, false, fieldUsage(f))
		case contract.KindAgents:
			fs.StringSlice(name, nil, fieldUsage(f))
		case contract.KindInstallments:
			fs.StringArray(name, nil, fieldUsage(f))
		default:
			fs.String(name, "", fieldUsage(f))
		}
		if len(f.Options) > 0 {
			cli.Complete(cmd, name, f.Options...)
		}
		if f.Kind == contract.KindAddress || f.Kind == contract.KindPhone {
			define(f.NewFlagName(), contract.NewKey(f.Name))
			fs.String(f.NewFlagName(), "", newContactUsage(f))
		}
	}
	fs.StringVar(&jsonFile, unused("json"), "", "read the payload from this JSON file (- for standard input) instead of flags"+actorJSONHelp(spec))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		in := flagInput(cmd, flags)
		if jsonFile != "" && len(in) > 0 {
			return errors.New("--json and payload flags: the payload comes from the one or the others")
		}
		remote, err := o.remote(cmd)
		if err != nil {
			return err
		}
		id := caseID(args[0])
		var raw []byte
		if jsonFile != "" {
			if raw, err = readPayload(cmd.InOrStdin(), jsonFile); err != nil {
				return err
			}
			if raw, err = fillActor(ctx, remote, spec, raw); err != nil {
				return err
			}
			// the same decoding and rules as the workflow, before anything is sent
			if _, err := table.Decode(spec.Name, raw); err != nil {
				return err
			}
		} else {
			var me string
			if spec.Actor != "" {
				m, err := remote.Me(ctx)
				if err != nil {
					return err
				}
				me = m.AgentID
			}
			// built, checked as the workflow checks it, and only then are new contacts recorded
			if raw, err = table.Prepare(ctx, spec.Name, in, me, time.Now(), remote.Record(id)); err != nil {
				return err
			}
		}
		res, err := remote.Act(ctx, id, spec.Name, "", raw)
		if err != nil {
			return actionError(spec.Name, id, err)
		}
		return cli.Print(cmd, res, func(out io.Writer) error {
			line := fmt.Sprintf("%s accepted by %s: %s (stage %s", spec.Name, id, res.Message, res.Stage)
			if res.Outcome != "" {
				line += ", outcome " + string(res.Outcome)
			}
			if res.Paused {
				line += ", paused"
			}
			_, err := fmt.Fprintln(out, line+")")
			return err
		})
	}
	return cmd
}

// flagInput is what the person typed: for each payload flag given on the command line,
// its input key and values.
func flagInput(cmd *cobra.Command, flags []actionFlag) map[string][]string {
	in := map[string][]string{}
	for _, f := range flags {
		fl := cmd.Flags().Lookup(f.flag)
		if fl == nil || !fl.Changed {
			continue
		}
		if s, ok := fl.Value.(interface{ GetSlice() []string }); ok {
			in[f.input] = s.GetSlice()
		} else {
			in[f.input] = []string{fl.Value.String()}
		}
	}
	return in
}

// actionShort is the action's one line: its title and who may send it.
func actionShort(spec *contract.ActionSpec) string {
	if len(spec.Roles) == 0 {
		return spec.Title.En
	}
	return spec.Title.En + " (" + strings.Join(spec.Roles, ", ") + ")"
}

// actionLong is the action's help: what it is, who sends it when, and its fields.
func actionLong(spec *contract.ActionSpec) string {
	var b strings.Builder
	b.WriteString(spec.Title.En + ".")
	if spec.Help.En != "" {
		b.WriteString(" " + spec.Help.En)
	}
	b.WriteString("\n\n")
	if len(spec.Roles) > 0 {
		fmt.Fprintf(&b, "Sent by: %s.\n", strings.Join(spec.Roles, ", "))
	}
	if len(spec.Stages) > 0 {
		stages := make([]string, len(spec.Stages))
		for i, s := range spec.Stages {
			stages[i] = string(s)
		}
		fmt.Fprintf(&b, "When the case is at: %s.\n", strings.Join(stages, ", "))
	}
	if spec.Contact {
		b.WriteString("It reports a contact with the debtor: recorded even when refused.\n")
	}
	if len(spec.Fields) > 0 {
		b.WriteString("\nFields of the payload (JSON name, flag):\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		for _, f := range spec.Fields {
			fmt.Fprintf(tw, "  %s\t--%s\t%s\n", f.Name, f.FlagName(), fieldUsage(f))
		}
		_ = tw.Flush() // a strings.Builder does not fail
	}
	b.WriteString(`
CASE is the case's workflow id (case-A1) or its account id (A1). The payload comes from
the flags or from --json; it is checked against the contract before it is sent (and a new
address or phone is recorded only once it passes), then sent through the agents' API as
an update of the case, with an idempotency key: retried when the API is busy, it applies
once. A rejected action prints the reason and exits 1.`)
	if f, ok := spec.ActorField(); ok {
		if f.Kind == contract.KindAgents {
			fmt.Fprintf(&b, "\nYou (the token's owner) are added to %q (--%s).", f.Name, f.FlagName())
		} else {
			fmt.Fprintf(&b, "\n%q (--%s) is you, the token's owner, unless given.", f.Name, f.FlagName())
		}
	}
	return b.String()
}

// fieldUsage is a field's flag's help: its label, its help and a choice's options.
func fieldUsage(f contract.Field) string {
	u := f.Label.En
	if f.Help.En != "" {
		u += ": " + f.Help.En
	}
	switch f.Kind {
	case contract.KindChoice:
		if len(f.Options) > 0 {
			u += " (one of " + strings.Join(f.Options, ", ") + ")"
		}
	case contract.KindInstallments:
		u += " (repeatable)"
	}
	return u
}

// newContactUsage is the help of the flag of a new address or phone typed as text.
func newContactUsage(f contract.Field) string {
	return fmt.Sprintf("%s, typed as text instead of --%s: recorded for the case's account first, then sent as its id", f.Label.En, f.FlagName())
}

// actorJSONHelp says what --json fills in: the acting person.
func actorJSONHelp(spec *contract.ActionSpec) string {
	if spec.Actor == "" {
		return ""
	}
	if f, ok := spec.ActorField(); ok && f.Kind == contract.KindAgents {
		return fmt.Sprintf("; you are added to %q", spec.Actor)
	}
	return fmt.Sprintf("; a missing %q is you", spec.Actor)
}

// rejected is an action refused by the contract or the case, worded for the command line.
type rejected struct {
	action, caseID, reason string
	err                    *caseclient.Refused
}

func (e *rejected) Error() string {
	return fmt.Sprintf("%s rejected by %s: %s", e.action, e.caseID, e.reason)
}

func (e *rejected) Unwrap() error { return e.err }

// actionError words a failed action: a refusal with its reason and fields.
func actionError(action, id string, err error) error {
	var refused *caseclient.Refused
	if errors.As(err, &refused) {
		return &rejected{action, id, refusalReason(action, refused.Message, refused.Fields), refused}
	}
	var api *caseclient.APIError
	if errors.As(err, &api) {
		switch api.Status {
		case http.StatusBadRequest:
			api.Message = strings.TrimPrefix(api.Message, action+" rejected: ") // said once is enough
			return fmt.Errorf("%s rejected by %s: %w", action, id, err)
		case http.StatusForbidden:
			return fmt.Errorf("%s refused for %s: %w", action, id, err)
		}
	}
	return fmt.Errorf("%s to %s: %w", action, id, err)
}

// refusalReason is a refusal's message without the action's name, and every field at
// fault that it does not name already.
func refusalReason(action, msg string, fields []*contract.FieldError) string {
	if msg == action+" rejected" {
		msg = ""
	}
	msg = strings.TrimPrefix(msg, action+" rejected: ") // said once is enough
	var parts []string
	if msg != "" {
		parts = append(parts, msg)
	}
	for _, f := range fields {
		if !strings.Contains(msg, f.Error()) {
			parts = append(parts, f.Error())
		}
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, "; ")
}

// fillActor puts the token's owner into a JSON payload where the action wants its acting
// person and the payload names nobody (a list of agents acting together gets the owner
// added). Anything else is left as it is, for the shape check to judge.
func fillActor(ctx context.Context, remote *caseclient.Remote, spec *contract.ActionSpec, raw []byte) ([]byte, error) {
	if spec.Actor == "" {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw, nil
	}
	f, _ := spec.ActorField()
	list := f.Kind == contract.KindAgents
	var ids []string
	if v, ok := m[spec.Actor]; ok {
		switch string(bytes.TrimSpace(v)) {
		case "null", `""`, "[]":
		default:
			if !list || json.Unmarshal(v, &ids) != nil {
				return raw, nil
			}
		}
	}
	me, err := remote.Me(ctx)
	if err != nil {
		return nil, err
	}
	var who any = me.AgentID
	if list {
		if slices.Contains(ids, me.AgentID) {
			return raw, nil
		}
		who = append([]string{me.AgentID}, ids...)
	}
	if m[spec.Actor], err = json.Marshal(who); err != nil {
		return nil, fmt.Errorf("fill in %q: %w", spec.Actor, err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("fill in %q: %w", spec.Actor, err)
	}
	return b, nil
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
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			tasks, err := remote.Inbox(cmd.Context(), agent)
			if err != nil {
				return err
			}
			return cli.Print(cmd, tasks, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CASE\tACTION\tDEADLINE\tCONTACT ALLOWED FROM\tWHY NOT EARLIER\tADDRESS")
				for _, t := range tasks {
					nb := "now"
					if t.NotBefore != nil && t.NotBefore.After(time.Now()) {
						nb = t.NotBefore.Local().Format(time.DateTime)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.CaseID, t.Action, t.Deadline.Local().Format(time.DateTime), nb, t.NotBeforeReason, t.AddressID)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "the agent whose inbox to read (default: yours; another's for supervisors only)")
	return cmd
}

func showCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "show CASE",
		Short: "The case's status and timeline (your cases; any case for supervisors)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			st, err := remote.Status(cmd.Context(), caseID(args[0]))
			if err != nil {
				return err
			}
			return cli.Print(cmd, st, func(w io.Writer) error { return printStatus(w, st) })
		},
	}
}

func whoamiCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Who your token belongs to, their role, and when it expires",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			m, err := remote.Me(cmd.Context())
			if err != nil {
				return err
			}
			return cli.Print(cmd, m, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s (%s), token valid until %s\n", m.AgentID, m.Role, m.ExpiresAt.Local().Format(time.DateTime))
				return err
			})
		},
	}
}

func printStatus(out io.Writer, st *contract.Status) error {
	w := bufio.NewWriter(out) // its first error sticks: Flush returns it
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
	if err := tw.Flush(); err != nil {
		return err
	}
	return w.Flush()
}

// alertsCmd lists what the cases told the supervisors, and acknowledges an alert.
func alertsCmd(o *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Alerts for supervisors: missed deadlines, guardrail violations, complaints, disputes (newest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			alerts, err := remote.Alerts(cmd.Context(), all)
			if err != nil {
				return err
			}
			return cli.Print(cmd, alerts, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "WHEN\tCASE\tKIND\tMESSAGE\tACKNOWLEDGED\tKEY")
				for _, a := range alerts {
					ack := ""
					if a.AcknowledgedAt != nil {
						ack = a.AcknowledgedBy + " " + a.AcknowledgedAt.Local().Format(time.DateTime)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.CreatedAt.Local().Format(time.DateTime), a.CaseID, a.Kind, a.Message, ack, a.Key)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "acknowledged alerts too")
	ack := &cobra.Command{
		Use:   "ack KEY",
		Short: "Acknowledge an alert (once; written to the audit log)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			a, err := remote.AckAlert(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return cli.Print(cmd, a, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "alert %s (%s, %s) acknowledged by %s\n", a.Key, a.Kind, a.CaseID, a.AcknowledgedBy)
				return err
			})
		},
	}
	cmd.AddCommand(ack)
	return cmd
}
