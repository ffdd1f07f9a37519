package contract

import "slices"

// Contact paths: the order in which a strategy works a case.
const (
	// PathVisitFirst is the seed's order: phone-verify the address, visit, negotiate.
	PathVisitFirst = "visit-first"
	// PathPhoneFirst negotiates by phone right after the address is verified; a field visit
	// comes only after a refusal, a broken promise or a missed negotiation deadline.
	PathPhoneFirst = "phone-first"
)

// ContactPaths lists the contact paths.
var ContactPaths = []string{PathVisitFirst, PathPhoneFirst}

// StrategyRef is the strategy a case was started under: its arm of the trial, its
// contact path and the score's model version that ranked it.
type StrategyRef struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Model int    `json:"model,omitempty"`
}

// Validate checks a strategy reference.
func (s *StrategyRef) Validate() error {
	var p problems
	p.id("strategy.name", s.Name)
	if !slices.Contains(ContactPaths, s.Path) {
		p.add("strategy.path", "must be one of %v, not %q", ContactPaths, s.Path)
	}
	if s.Model < 0 {
		p.add("strategy.model", "must be a model version, not %d", s.Model)
	}
	return p.err("start")
}
