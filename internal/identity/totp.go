package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Time-based one-time passwords (RFC 6238) as every authenticator app
// understands them: HMAC-SHA-1, six digits, a new code every 30 seconds.
// They are one of the second factors of 45 CFR 164.312(d), person or entity
// authentication.
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	// TOTPSkew is how many steps before and after the current one are
	// accepted, for clocks that drift and people who type slowly.
	TOTPSkew = 1
	// TOTPSecretSize is the secret's length in bytes: the 160 bits RFC 4226
	// recommends.
	TOTPSecretSize = 20
	// TOTPIssuer names Safeguard in authenticator apps.
	TOTPIssuer = "Safeguard"
)

// ErrBadCode says a one-time or recovery code is malformed.
var ErrBadCode = errors.New("malformed code")

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random TOTP secret.
func NewTOTPSecret() ([]byte, error) {
	b := make([]byte, TOTPSecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("new TOTP secret: %w", err)
	}
	return b, nil
}

// EncodeTOTPSecret is the secret as people type it into an authenticator
// app: base32 without padding.
func EncodeTOTPSecret(secret []byte) string {
	return totpEncoding.EncodeToString(secret)
}

// DecodeTOTPSecret reads a base32 secret, ignoring case, spaces and padding.
func DecodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '=' {
			return -1
		}
		return r
	}, s))
	b, err := totpEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: TOTP secret is not base32", ErrBadCode)
	}
	return b, nil
}

// TOTPURI is the otpauth:// address an authenticator app reads from a QR
// code (Google's "Key Uri Format", which the other apps follow), as
// github.com/pquerna/otp writes it: the issuer and account label the entry,
// the parameters are the defaults spelled out, and spaces are %20, never '+',
// which some apps would show literally.
func TOTPURI(secret []byte, issuer, account string) (string, error) {
	if len(secret) == 0 {
		// The library would make up a random secret of its own.
		return "", errors.New("TOTP key URL: no secret")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Secret:      secret,
		Period:      uint(TOTPPeriod / time.Second),
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("TOTP key URL: %w", err)
	}
	return key.String(), nil
}

// TOTPStep is the RFC 6238 time step (counter) that t falls in.
func TOTPStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// TOTPCode is the code for the given time step.
func TOTPCode(secret []byte, step int64) string {
	return hotpCode(secret, uint64(step), otp.DigitsSix)
}

// hotpCode is RFC 4226's HOTP value of counter, digits decimal digits long.
func hotpCode(secret []byte, counter uint64, digits otp.Digits) string {
	code, err := hotp.GenerateCodeCustom(EncodeTOTPSecret(secret), counter,
		hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		// Only a secret that is not base32 fails, and this one was encoded
		// just above. An empty code matches no code anyone types.
		return ""
	}
	return code
}

// ParseTOTPCode returns the six digits of a code as typed, ignoring spaces
// and dashes that apps show in the middle ("123 456").
func ParseTOTPCode(s string) (string, error) {
	if len(s) > 32 {
		return "", fmt.Errorf("%w: a code has %d digits", ErrBadCode, TOTPDigits)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return "", fmt.Errorf("%w: a code has %d digits", ErrBadCode, TOTPDigits)
		}
	}
	if b.Len() != TOTPDigits {
		return "", fmt.Errorf("%w: a code has %d digits", ErrBadCode, TOTPDigits)
	}
	return b.String(), nil
}

// VerifyTOTP checks code against secret at time now, within TOTPSkew steps
// either side. It returns the time step the code belongs to, so that the
// caller can refuse that step, and every earlier one, from then on: a code
// is accepted only once. Of the steps that match, the latest is returned.
func VerifyTOTP(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code, err := ParseTOTPCode(code)
	if err != nil {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur + TOTPSkew; s >= cur-TOTPSkew; s-- {
		// Every candidate is compared, in constant time, so the time taken
		// does not tell which step matched.
		if subtle.ConstantTimeCompare([]byte(TOTPCode(secret, s)), []byte(code)) == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// Recovery codes stand in for the second factor when the authenticator is
// lost. Each is 12 characters of Crockford's base32 (no I, L, O or U), 60
// random bits, shown as xxxx-xxxx-xxxx and usable once.
const (
	RecoveryCodeCount = 10
	recoveryCodeLen   = 12
	recoveryAlphabet  = "0123456789abcdefghjkmnpqrstvwxyz"
)

// NewRecoveryCodes returns n new recovery codes, formatted for display.
func NewRecoveryCodes(n int) ([]string, error) {
	codes := make([]string, 0, n)
	buf := make([]byte, recoveryCodeLen)
	for len(codes) < n {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("new recovery codes: %w", err)
		}
		var b strings.Builder
		for i, c := range buf {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			// 256 is a multiple of 32, so every character is equally likely.
			b.WriteByte(recoveryAlphabet[c%32])
		}
		codes = append(codes, b.String())
	}
	return codes, nil
}

// NormalizeRecoveryCode returns a recovery code in its canonical form
// (lower case, no separators, the letters people confuse with digits read as
// those digits), or ErrBadCode when it cannot be one.
func NormalizeRecoveryCode(s string) (string, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("%w: a recovery code has %d characters", ErrBadCode, recoveryCodeLen)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r == 'o':
			r = '0'
		case r == 'i' || r == 'l':
			r = '1'
		case r > 0x7f || !strings.ContainsRune(recoveryAlphabet, r):
			return "", fmt.Errorf("%w: a recovery code uses only letters and digits", ErrBadCode)
		}
		b.WriteRune(r)
	}
	if b.Len() != recoveryCodeLen {
		return "", fmt.Errorf("%w: a recovery code has %d characters", ErrBadCode, recoveryCodeLen)
	}
	return b.String(), nil
}

// HashRecoveryCode is how a recovery code is stored and looked up. The codes
// are random and long, so a fast hash of the canonical form is enough.
func HashRecoveryCode(code string) (string, error) {
	n, err := NormalizeRecoveryCode(code)
	if err != nil {
		return "", err
	}
	return HashSecret("recovery:" + n), nil
}
