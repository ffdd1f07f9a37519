package deploy

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/casework/casework/contract"
)

var update = flag.Bool("update", false, "rewrite the generated files from the contract")

// searchAttributeFile is the list every deployment registers: docker-compose.yml's
// temporal-setup and scripts/stack.sh read it through temporal/setup-namespace.sh.
const searchAttributeFile = "temporal/search-attributes.txt"

// searchAttributeList is the file's text, generated from contract.SearchAttributes.
func searchAttributeList() string {
	var b strings.Builder
	b.WriteString("# The case's search attributes, NAME TYPE per line, generated from contract.SearchAttributes\n")
	b.WriteString("# (go test ./deploy -run TestSearchAttributeFile -update); read by temporal/setup-namespace.sh.\n")
	for _, sa := range contract.SearchAttributes {
		b.WriteString(sa.Name + " " + sa.Type + "\n")
	}
	return b.String()
}

// The registered list is the contract's: the file is generated, and this test fails when
// someone edits one and not the other.
func TestSearchAttributeFile(t *testing.T) {
	want := searchAttributeList()
	if *update {
		if err := os.WriteFile(searchAttributeFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(searchAttributeFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is not the contract's list (go test ./deploy -run TestSearchAttributeFile -update):\n%s\nwant:\n%s", searchAttributeFile, got, want)
	}
}
