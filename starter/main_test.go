package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
)

// Every command's help renders, names the environment and the exit codes, and -o's
// completion offers the command's formats; no command connects to anything for it.
func TestEveryCommandsHelp(t *testing.T) {
	root := rootCmd()
	cli.Prepare(root, conn.Env...)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden {
			return
		}
		n++
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "starter")), "--help"))
		if err := root.Execute(); err != nil {
			t.Errorf("%s --help: %v", c.CommandPath(), err)
		}
		for _, want := range []string{"Usage:", "DATABASE_URL", "Exit codes:", "--output"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s --help lacks %q:\n%s", c.CommandPath(), want, out.String())
			}
		}
	}
	walk(root)
	if n < 15 {
		t.Errorf("walked %d commands, want all of them", n)
	}
}
