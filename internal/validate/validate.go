// Package validate carries field-level problems found in user input from the
// domain packages to whoever shows them: a form re-rendered with messages beside
// its fields, or a JSON error body with a "fields" object.
package validate

import (
	"sort"
	"strings"
)

// Error lists the problems found in one piece of input, keyed by field name.
// A nil or empty Error means the input is valid.
type Error map[string]string

// Add records a problem with field, keeping the first one reported for it.
func (e Error) Add(field, message string) {
	if _, ok := e[field]; !ok {
		e[field] = message
	}
}

// Err returns e as an error when it holds a problem, and nil otherwise, so that
// a validator can end with `return problems.Err()`.
func (e Error) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Error reports every problem, ordered by field, on one line.
func (e Error) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + ": " + e[f]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}
