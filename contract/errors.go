package contract

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError says which field of a payload is wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Reason) }

// Invalid returns a FieldError.
func Invalid(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ValidationError is every problem found in one payload of one action.
type ValidationError struct {
	Action string        `json:"action"`
	Fields []*FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("%s rejected: %s", e.Action, strings.Join(parts, "; "))
}

// problems collects field errors in order.
type problems []*FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, Invalid(field, format, args...))
}

func (p *problems) addErr(err error) {
	if err == nil {
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		*p = append(*p, fe)
		return
	}
	*p = append(*p, &FieldError{Field: "payload", Reason: err.Error()})
}

// has reports whether a problem of the field is already listed.
func (p problems) has(field string) bool {
	for _, f := range p {
		if f.Field == field {
			return true
		}
	}
	return false
}

func (p problems) err(action string) error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Action: action, Fields: p}
}

// Reject builds the ValidationError of an action from one field problem.
func Reject(action, field, format string, args ...any) error {
	return &ValidationError{Action: action, Fields: []*FieldError{Invalid(field, format, args...)}}
}
