package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Decode reads the JSON payload of the named human action strictly (unknown fields, wrong
// types and trailing data are errors) and validates its shape. It returns a pointer to the
// action's payload type, or a *ValidationError naming every bad field.
func Decode(action string, raw []byte) (any, error) { return Table.Decode(action, raw) }

// Decode is Decode over the table's actions.
func (t ActionTable) Decode(action string, raw []byte) (any, error) {
	spec, ok := t.Lookup(action)
	if !ok {
		return nil, Reject(action, "action", "unknown action (want one of %s)", strings.Join(t.Names(), ", "))
	}
	v, err := spec.Unmarshal(raw)
	if err != nil {
		return nil, err
	}
	if err := ValidatePayload(action, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Unmarshal reads the JSON payload of the action strictly into a new payload, without
// checking its values (the workflow's update handler: what its validator accepted
// yesterday replays under today's rules).
func (s *ActionSpec) Unmarshal(raw []byte) (any, error) {
	v := s.Payload()
	if err := json.Unmarshal(raw, v); err != nil {
		var p problems
		p.addErr(unwrapDecode(err))
		return nil, p.err(s.Name)
	}
	return v, nil
}

// ValidatePayload checks the shape of a decoded payload of the named action.
func ValidatePayload(action string, v any) error {
	val, ok := v.(interface{ Validate() error })
	if !ok {
		return Reject(action, "payload", "has no rules (%T)", v)
	}
	err := val.Validate()
	var ve *ValidationError
	if errors.As(err, &ve) {
		ve.Action = action
	}
	return err
}

// unwrapDecode turns encoding/json errors into a FieldError naming the field.
func unwrapDecode(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "payload"
		}
		return Invalid(field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Invalid("payload", "not valid JSON at byte %d: %v", se.Offset, se)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name = strings.Trim(name, `"`); name == "" {
			name = `""`
		}
		return Invalid(name, "unknown field")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return Invalid("payload", "empty or truncated JSON")
	}
	return Invalid("payload", "%v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	}
	return goKind
}

// strict decodes one JSON value into v, refusing unknown fields, trailing data and bytes
// that are not UTF-8 (encoding/json would quietly turn them into U+FFFD).
func strict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return Invalid("payload", "is not valid UTF-8 (byte %d)", firstInvalidUTF8(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return unwrapDecode(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Invalid("payload", "trailing data after the JSON object")
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return Invalid("payload", "must be a JSON object, not null")
	}
	return nil
}

// firstInvalidUTF8 returns the offset of the first byte of data that is not UTF-8.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// The payload types decode strictly wherever they are decoded (the SDK's data converter
// for updates included), so an unknown field is always an error.

// UnmarshalJSON decodes strictly.
func (p *PhoneVerified) UnmarshalJSON(b []byte) error {
	type plain PhoneVerified
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *VisitReport) UnmarshalJSON(b []byte) error {
	type plain VisitReport
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *NegotiationResult) UnmarshalJSON(b []byte) error {
	type plain NegotiationResult
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *PlanInstallment) UnmarshalJSON(b []byte) error {
	type plain PlanInstallment
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *PaymentReceived) UnmarshalJSON(b []byte) error {
	type plain PaymentReceived
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *AnomalyReport) UnmarshalJSON(b []byte) error {
	type plain AnomalyReport
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *SurveyResult) UnmarshalJSON(b []byte) error {
	type plain SurveyResult
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *SupervisorAction) UnmarshalJSON(b []byte) error {
	type plain SupervisorAction
	return strict(b, (*plain)(p))
}

// UnmarshalJSON decodes strictly.
func (p *Reassign) UnmarshalJSON(b []byte) error {
	type plain Reassign
	return strict(b, (*plain)(p))
}

// MustJSON marshals v, for payloads built in code; it panics only on a programming error.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("contract: marshal %T: %v", v, err))
	}
	return b
}
