package identity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// MaxPasskeyName bounds the name a person gives a passkey.
const MaxPasskeyName = 64

// NormalizePasskeyName trims name and checks it: required, one line of
// printable text, at most MaxPasskeyName characters.
func NormalizePasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", validate.Error{"name": "is required"}
	case !utf8.ValidString(name):
		return "", validate.Error{"name": "must be valid UTF-8 text"}
	case utf8.RuneCountInString(name) > MaxPasskeyName:
		return "", validate.Error{"name": fmt.Sprintf("must be at most %d characters", MaxPasskeyName)}
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", validate.Error{"name": "must be one line of printable text"}
		}
	}
	return name, nil
}
