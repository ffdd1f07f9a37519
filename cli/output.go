package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Output formats every reading or summarising command offers (-o).
var Output = []string{"text", "json"}

// addOutputFlag adds -o/--output to every command, with its completion.
func addOutputFlag(root *cobra.Command) {
	if root.PersistentFlags().Lookup("output") != nil {
		return
	}
	root.PersistentFlags().StringP("output", "o", "text", "output format: text or json")
	if err := root.RegisterFlagCompletionFunc("output", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		values := slices.Clone(Output)
		if more := cmd.Annotations[outputsKey]; more != "" {
			values = append(values, strings.Split(more, ",")...)
		}
		return values, cobra.ShellCompDirectiveNoFileComp
	}); err != nil {
		panic(fmt.Sprintf("cli: completion of --output: %v", err))
	}
	// the format is checked before a command connects to anything
	check := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if _, err := Format(cmd); err != nil {
			return err
		}
		if check != nil {
			return check(cmd, args)
		}
		return nil
	}
}

// outputsKey is the annotation that lists a command's own output formats.
const outputsKey = "casework/outputs"

// AlsoOutputs lets cmd's -o take more formats than text and json (such as csv).
func AlsoOutputs(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsKey] = strings.Join(formats, ",")
}

// Format is the command's -o value, checked: text, json, or one of the command's own
// (AlsoOutputs). Main checks it before any command runs.
func Format(cmd *cobra.Command) (string, error) {
	f, err := cmd.Flags().GetString("output")
	if err != nil {
		return "text", nil // a command without the flag (tests building one alone)
	}
	allowed := slices.Clone(Output)
	if more := cmd.Annotations[outputsKey]; more != "" {
		allowed = append(allowed, strings.Split(more, ",")...)
	}
	if !slices.Contains(allowed, f) {
		return "", Usage(fmt.Errorf("-o %q: want one of %s", f, strings.Join(allowed, ", ")))
	}
	return f, nil
}

// Print writes v as the command's -o asks: indented JSON, or text by the given function.
func Print(cmd *cobra.Command, v any, text func(w io.Writer) error) error {
	f, err := Format(cmd)
	if err != nil {
		return err
	}
	return Write(cmd.OutOrStdout(), f, v, text)
}

// Write writes v to w in format: indented JSON for json, else text by the given function.
func Write(w io.Writer, format string, v any, text func(w io.Writer) error) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
		return nil
	}
	return text(w)
}

// Complete registers the values of an enumerated flag for shell completion.
func Complete(cmd *cobra.Command, flag string, values ...string) {
	complete := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
	if err := cmd.RegisterFlagCompletionFunc(flag, complete); err != nil {
		panic(fmt.Sprintf("cli: completion of --%s: %v", flag, err)) // a programming error: the flag is not defined
	}
}
