//go:build integration

package itest

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

// The Temporal Web UI, in headless Chromium (Debian's), lists the disputed case under the
// README's filter and not the other case; the page's screenshot is kept in
// .dev/artifacts/webui-dispute-filter.png.
func TestWebUIShowsFilteredCases(t *testing.T) {
	need(t)
	if os.Getenv("CASEWORK_UI_PORT") == "none" {
		t.Skip("no Web UI serves this Temporal (the production topology's UI is docker-compose's temporal-ui)")
	}
	chromium := chromiumPath(t)
	disputed := startCase(t, newAccount(t))
	calm := startCase(t, newAccount(t))
	st := waitPending(t, disputed, contract.ActionPhoneVerified)
	mustUpdate(t, disputed, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: st.Pending.Assignees[0]})
	filter := contract.Filters[1].Query // disputed cases on hold
	checkSearchAttributes(t, disputed, filter)
	waitPending(t, calm, contract.ActionPhoneVerified)

	ui := "http://127.0.0.1:" + uiPort() + "/namespaces/" + url.PathEscape(os.Getenv("TEMPORAL_NAMESPACE")) + "/workflows?query=" + url.QueryEscape(filter)
	browse := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=15000", "--window-size=1400,900"}
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, chromium, append(append(base, args...), ui)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	var dom string
	for attempt := 0; attempt < 3; attempt++ { // the UI reads visibility, which may lag a moment
		if dom = browse("--dump-dom"); strings.Contains(dom, disputed) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if !strings.Contains(dom, disputed) {
		t.Fatalf("the Web UI at %s does not list %s", ui, disputed)
	}
	if strings.Contains(dom, calm) {
		t.Errorf("the Web UI lists %s under %q", calm, filter)
	}
	shot, err := filepath.Abs(filepath.Join("..", ".dev", "artifacts", "webui-dispute-filter.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	browse("--screenshot=" + shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
	for _, id := range []string{disputed, calm} {
		mustUpdate(t, id, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	}
}

// uiPort is the dev server's Web UI port.
func uiPort() string {
	if p := os.Getenv("CASEWORK_UI_PORT"); p != "" {
		return p
	}
	return "8233"
}

// chromiumPath is the headless browser of the browser tests: CHROME_PATH, else the first
// Chromium or Chrome on PATH (scripts/chromium.sh says how to install one).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROME_PATH"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium or Chrome found (CHROME_PATH, chromium, google-chrome): scripts/chromium.sh says how to install one")
	return ""
}
