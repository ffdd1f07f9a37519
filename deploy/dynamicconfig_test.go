package deploy

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const dynamicConfigFile = "temporal/dynamicconfig/casework.yaml"

// dynamicConfig reads the file as the server does: each key a list of values with their
// constraints.
func dynamicConfig(t *testing.T) map[string][]struct {
	Value       any            `yaml:"value"`
	Constraints map[string]any `yaml:"constraints"`
} {
	t.Helper()
	raw, err := os.ReadFile(dynamicConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var dc map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	if err := yaml.Unmarshal(raw, &dc); err != nil {
		t.Fatalf("%s: %v", dynamicConfigFile, err)
	}
	return dc
}

// The dev server (scripts/stack.sh) takes the production topology's dynamic config key by
// key, read from the file with awk: that reading is whole only while every key has one
// value for every namespace and task queue, a number or a bool (the CLI reads each value
// as JSON, and the awk does not quote words).
func TestDynamicConfigIsFlat(t *testing.T) {
	dc := dynamicConfig(t)
	if len(dc) == 0 {
		t.Fatalf("%s holds no keys", dynamicConfigFile)
	}
	for key, values := range dc {
		if len(values) != 1 || len(values[0].Constraints) != 0 {
			t.Errorf("%s: %d values with constraints %v: the dev server would not take it as the server does", key, len(values), values)
			continue
		}
		switch v := values[0].Value.(type) {
		case int, float64, bool:
		default:
			t.Errorf("%s: value %v (%T): the dev server's flags take a number or a bool here", key, v, v)
		}
	}
}

// stack.sh's reading of the file gives every key with its value, each as the JSON the
// dev server's --dynamic-config-value reads.
func TestDevServerTakesTheDynamicConfig(t *testing.T) {
	script := `root=..; source <(sed -n '/^dynamic_config_values()/,/^}/p' ../scripts/stack.sh); dynamic_config_values`
	out, err := exec.Command("bash", "-c", script).Output()
	if err != nil {
		t.Fatalf("stack.sh's dynamic_config_values: %v", err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(line, "\r\t ") {
			t.Errorf("stack.sh gives the dev server %q: want KEY=VALUE", line)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			t.Errorf("%s: the dev server would refuse %q: %v", key, value, err)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got[key] = string(b)
	}
	want := map[string]string{}
	for key, values := range dynamicConfig(t) {
		if len(values) == 1 {
			b, err := json.Marshal(values[0].Value)
			if err != nil {
				t.Fatal(err)
			}
			want[key] = string(b)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("stack.sh gives the dev server %v, want %v", got, want)
	}
}

// testOnly are dynamic config values that the Temporal server's own documentation of the
// key keeps for testing, with what they cost a running server.
var testOnly = map[string]struct {
	value any
	why   string
}{
	// "This effectively bypasses cache value and is used to facilitate testing of changes
	// in search attributes. This should not be turned on in production."
	// (common/dynamicconfig/constants.go). The dev server's CLI turns it on by default.
	"system.forceSearchAttributesCacheRefreshOnRead": {true,
		"every use of the search attributes reads them, and the namespace, from the database under the caches' locks"},
}

// The dynamic config is the production topology's (compose, stack.sh up-server) and the
// dev server's: no value the server documents as for its tests only.
func TestDynamicConfigHasNoTestOnlySetting(t *testing.T) {
	for key, values := range dynamicConfig(t) {
		bad, ok := testOnly[key]
		if !ok {
			continue
		}
		for _, v := range values {
			if v.Value == bad.value {
				t.Errorf("%s: %v is a setting for the server's own tests, not for a running one (%s)", key, v.Value, bad.why)
			}
		}
	}
}
