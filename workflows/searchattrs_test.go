package workflows

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/casework/casework/contract"
)

// The workflow's typed keys are the contract's list, name for name and type for type: the
// list every deployment registers is generated from the contract.
func TestSearchAttributeKeysAreTheContracts(t *testing.T) {
	types := map[enumspb.IndexedValueType]string{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
		enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
		enumspb.INDEXED_VALUE_TYPE_INT:          "Int",
		enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
		enumspb.INDEXED_VALUE_TYPE_TEXT:         "Text",
		enumspb.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
		enumspb.INDEXED_VALUE_TYPE_BOOL:         "Bool",
	}
	if len(searchAttributeKeys) != len(contract.SearchAttributes) {
		t.Fatalf("%d keys, %d in the contract", len(searchAttributeKeys), len(contract.SearchAttributes))
	}
	for i, k := range searchAttributeKeys {
		want := contract.SearchAttributes[i]
		if k.GetName() != want.Name || types[k.GetValueType()] != want.Type {
			t.Errorf("key %d is %s %s, the contract says %s %s", i, k.GetName(), types[k.GetValueType()], want.Name, want.Type)
		}
	}
}
