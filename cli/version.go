package cli

import (
	"fmt"
	"runtime/debug"
)

// commit is the commit the program was built from, set by the Makefile's build
// (-ldflags "-X github.com/casework/casework/cli.commit=..."), for builds without the Go
// toolchain's VCS stamp (GOFLAGS=-buildvcs=false, a copied tree).
var commit string

// Version is the program's version: the module's version, the commit it was built from
// (with -dirty when the work tree had changes), the commit's time and the Go version, as
// the build recorded them in the binary.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := commit
	if rev == "" {
		rev = settings["vcs.revision"]
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && settings["vcs.modified"] == "true" {
			rev += "-dirty"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	v := fmt.Sprintf("%s commit %s", info.Main.Version, rev)
	if t := settings["vcs.time"]; t != "" {
		v += " (" + t + ")"
	}
	return v + " " + info.GoVersion
}
