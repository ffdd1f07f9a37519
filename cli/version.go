package cli

import (
	"fmt"
	"runtime/debug"
)

// Version is the program's version: the module's version, the commit it was built from
// (with -dirty when the work tree had changes), the commit's time and the Go version, as
// the Go toolchain recorded them in the binary.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	commit := settings["vcs.revision"]
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if settings["vcs.modified"] == "true" {
		commit += "-dirty"
	}
	v := fmt.Sprintf("%s commit %s", info.Main.Version, commit)
	if t := settings["vcs.time"]; t != "" {
		v += " (" + t + ")"
	}
	return v + " " + info.GoVersion
}
