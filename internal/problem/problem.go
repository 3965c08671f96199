// Package problem is the typed error Safeguard's layers return when a request
// cannot be carried out for a reason the person asking should read: what
// kind of problem it is (which decides the HTTP status and the CLI's exit
// code, in one place each), the message they are shown, and the cause kept
// for the logs and for errors.Is. Nothing cuts a message out of an error's
// text: whoever knows the reason writes the message.
//
// Field-level problems in input stay validate.Error; this is for the
// request as a whole (a record that exists already, a state that does not
// allow the change, something that is gone).
package problem

import "errors"

// Kind is what sort of problem an Error is.
type Kind int

// The kinds, each answered in its own way by HTTP and the CLI.
const (
	// Conflict: the change does not fit the current state (a duplicate, a
	// record finalised or answered already, a rule such as "keep one owner").
	Conflict Kind = iota + 1
	// NotFound: what the request names does not exist (or is not the
	// caller's to see).
	NotFound
	// Forbidden: the caller may not do this, whatever the input.
	Forbidden
	// Gone: it existed but can no longer be used (an expired link).
	Gone
	// Invalid: the request as a whole is malformed (field problems use
	// validate.Error).
	Invalid
)

var kindNames = map[Kind]string{Conflict: "conflict", NotFound: "not found", Forbidden: "forbidden", Gone: "gone", Invalid: "invalid"}

func (k Kind) String() string { return kindNames[k] }

// Error is a problem with a message for people.
type Error struct {
	Kind Kind
	// Message is shown as it is: a full sentence, in our own words, with no
	// internal detail (no SQL, no IDs the person has not seen).
	Message string
	// Cause is what lies behind it, for errors.Is/As and the logs; it may
	// be nil.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + " (" + e.Cause.Error() + ")"
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns a problem of kind with message and cause.
func New(kind Kind, message string, cause error) error {
	return &Error{Kind: kind, Message: message, Cause: cause}
}

// As returns the problem in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}
