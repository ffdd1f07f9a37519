package platform

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/casework/casework/contract"
)

// DeploymentPolicy is DESIGN.md's default policy with the deployment's overrides: the JSON
// object in CASEWORK_POLICY, or in the file CASEWORK_POLICY_FILE. It is refused when it
// breaks a legal limit (contract.Policy.Legal): only a deployment that declares itself a
// simulation ("simulation": true) may shorten the day or widen the contact rules.
func DeploymentPolicy() (contract.Policy, error) {
	raw := []byte(os.Getenv("CASEWORK_POLICY"))
	if f := os.Getenv("CASEWORK_POLICY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return contract.Policy{}, fmt.Errorf("CASEWORK_POLICY_FILE: %w", err)
		}
		raw = b
	}
	p, err := contract.DefaultPolicy().WithOverrides(json.RawMessage(raw))
	if err == nil {
		err = p.Legal()
	}
	if err != nil {
		return p, fmt.Errorf("deployment policy: %w", err)
	}
	return p, nil
}
