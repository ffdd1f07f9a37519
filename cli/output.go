package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

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
	Complete(root, "output", Output...)
}

// Format is the command's -o value, checked: text, json, or one of more (a command's own
// formats, such as csv).
func Format(cmd *cobra.Command, more ...string) (string, error) {
	f, err := cmd.Flags().GetString("output")
	if err != nil {
		return "text", nil // a command without the flag (tests building one alone)
	}
	if !slices.Contains(Output, f) && !slices.Contains(more, f) {
		return "", Usage(fmt.Errorf("-o %q: want one of %v", f, append(slices.Clone(Output), more...)))
	}
	return f, nil
}

// Print writes v as the command's -o asks: indented JSON, or text by the given function.
func Print(cmd *cobra.Command, v any, text func(w io.Writer) error) error {
	f, err := Format(cmd)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f == "json" {
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
