package identity

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSeed is the SHA-1 seed of RFC 6238's test vectors (Appendix B).
var rfcSeed = []byte("12345678901234567890")

func TestHOTPRFC4226(t *testing.T) {
	// RFC 4226 Appendix D.
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotpCode(rfcSeed, uint64(i), 6); got != w {
			t.Errorf("hotpCode(seed, %d, 6) = %s, want %s", i, got, w)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, SHA-1 rows: eight digits, 30-second steps.
	tests := []struct {
		unix int64
		step int64
		code string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		step := TOTPStep(at)
		if step != tt.step {
			t.Errorf("TOTPStep(%d) = %#x, want %#x", tt.unix, step, tt.step)
		}
		if got := hotpCode(rfcSeed, uint64(step), 8); got != tt.code {
			t.Errorf("8-digit TOTP at %d = %s, want %s", tt.unix, got, tt.code)
		}
		// The six-digit code is the eight-digit one's last six digits.
		if got := TOTPCode(rfcSeed, step); got != tt.code[2:] {
			t.Errorf("TOTPCode(seed, %#x) = %s, want %s", step, got, tt.code[2:])
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	now := time.Unix(1111111111, 0)
	cur := TOTPStep(now)
	for _, d := range []int64{-1, 0, 1} {
		code := TOTPCode(rfcSeed, cur+d)
		step, ok := VerifyTOTP(rfcSeed, code, now)
		if !ok || step != cur+d {
			t.Errorf("VerifyTOTP(code of step %+d) = %d, %t, want %d, true", d, step, ok, cur+d)
		}
		// Spaces and dashes that apps show are fine.
		spaced := code[:3] + " " + code[3:]
		if _, ok := VerifyTOTP(rfcSeed, spaced, now); !ok {
			t.Errorf("VerifyTOTP(%q) refused a spaced code", spaced)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		if _, ok := VerifyTOTP(rfcSeed, TOTPCode(rfcSeed, cur+d), now); ok {
			t.Errorf("VerifyTOTP(code of step %+d) accepted a code outside the window", d)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "１２３４５６", "123456\x00"} {
		if _, ok := VerifyTOTP(rfcSeed, bad, now); ok {
			t.Errorf("VerifyTOTP(%q) = ok", bad)
		}
	}
	other := []byte("another secret 12345")
	if _, ok := VerifyTOTP(other, TOTPCode(rfcSeed, cur), now); ok && TOTPCode(other, cur) != TOTPCode(rfcSeed, cur) {
		t.Error("VerifyTOTP accepted another secret's code")
	}
}

func TestTOTPSecret(t *testing.T) {
	s, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 20 {
		t.Fatalf("NewTOTPSecret() is %d bytes, want 20 (160 bits)", len(s))
	}
	enc := EncodeTOTPSecret(s)
	if len(enc) != 32 || strings.ContainsAny(enc, "=") {
		t.Errorf("EncodeTOTPSecret() = %q, want 32 base32 characters without padding", enc)
	}
	back, err := DecodeTOTPSecret(strings.ToLower(enc[:4] + " " + enc[4:]))
	if err != nil || string(back) != string(s) {
		t.Errorf("DecodeTOTPSecret(EncodeTOTPSecret(s)) = %x, %v, want %x", back, err, s)
	}
	if _, err := DecodeTOTPSecret("not base32!"); !errors.Is(err, ErrBadCode) {
		t.Errorf("DecodeTOTPSecret(junk) = %v, want ErrBadCode", err)
	}
}

func TestTOTPURI(t *testing.T) {
	uri, err := TOTPURI(rfcSeed, TOTPIssuer, "o'brien+mfa@example.org")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatalf("TOTPURI() = %q does not parse: %v", uri, err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("TOTPURI() scheme, host = %q, %q, want otpauth, totp", u.Scheme, u.Host)
	}
	if u.Path != "/Safeguard:o'brien+mfa@example.org" {
		t.Errorf("TOTPURI() label = %q", u.Path)
	}
	q := u.Query()
	if q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || q.Get("issuer") != "Safeguard" ||
		q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("TOTPURI() query = %v", q)
	}
	// A space in the label or issuer is %20, never '+'.
	if uri, _ := TOTPURI(rfcSeed, "Safe guard", "a b"); strings.Contains(uri, "+") || !strings.Contains(uri, "Safe%20guard:a%20b") {
		t.Errorf("TOTPURI() with spaces = %q", uri)
	}
}

func TestParseTOTPCode(t *testing.T) {
	good := map[string]string{"123456": "123456", " 123 456 ": "123456", "123-456": "123456", "000000": "000000"}
	for in, want := range good {
		if got, err := ParseTOTPCode(in); err != nil || got != want {
			t.Errorf("ParseTOTPCode(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦", strings.Repeat(" ", 40) + "123456"} {
		if _, err := ParseTOTPCode(bad); !errors.Is(err, ErrBadCode) {
			t.Errorf("ParseTOTPCode(%q) = %v, want ErrBadCode", bad, err)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, err := NewRecoveryCodes(RecoveryCodeCount)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("NewRecoveryCodes(10) returned %d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || c[4] != '-' || c[9] != '-' {
			t.Errorf("recovery code %q is not xxxx-xxxx-xxxx", c)
		}
		if strings.ContainsAny(c, "ilou") {
			t.Errorf("recovery code %q uses an ambiguous letter", c)
		}
		n, err := NormalizeRecoveryCode(c)
		if err != nil {
			t.Errorf("NormalizeRecoveryCode(%q) = %v", c, err)
		}
		if seen[n] {
			t.Errorf("recovery code %q repeated", c)
		}
		seen[n] = true
		h1, _ := HashRecoveryCode(c)
		h2, _ := HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(c, "-", " ")))
		if h1 == "" || h1 != h2 {
			t.Errorf("HashRecoveryCode differs between %q and its upper-case, spaced form", c)
		}
		if strings.Contains(h1, n) {
			t.Errorf("HashRecoveryCode(%q) contains the code", c)
		}
	}
	// Letters people mistake for digits are read as those digits.
	a, _ := NormalizeRecoveryCode("OIL0-1l1o-abcd")
	if a != "01101110abcd" {
		t.Errorf("NormalizeRecoveryCode(OIL0-1l1o-abcd) = %q", a)
	}
	for _, bad := range []string{"", "abcd-efgh", "abcd-efgh-jkmnp", "abcd-efgh-jkm!", "abcd-efgh-jkmu", "abcd-éfgh-jkmn"} {
		if _, err := NormalizeRecoveryCode(bad); !errors.Is(err, ErrBadCode) {
			t.Errorf("NormalizeRecoveryCode(%q) = %v, want ErrBadCode", bad, err)
		}
	}
}

func FuzzParseTOTPCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456", "12-34-56", "", "abcdef", "١٢٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseTOTPCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("ParseTOTPCode(%q) = %v, want ErrBadCode", s, err)
			}
			return
		}
		if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("ParseTOTPCode(%q) = %q, want six ASCII digits", s, code)
		}
		if again, err := ParseTOTPCode(code); err != nil || again != code {
			t.Fatalf("ParseTOTPCode is not idempotent on %q: %q, %v", code, again, err)
		}
	})
}

func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, s := range []string{"abcd-efgh-jkmn", "ABCD EFGH JKMN", "oil0-1l1o-abcd", "", "é", "abcd-efgh-jkmu"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeRecoveryCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("NormalizeRecoveryCode(%q) = %v, want ErrBadCode", s, err)
			}
			return
		}
		if len(n) != recoveryCodeLen || strings.Trim(n, recoveryAlphabet) != "" {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, want 12 characters of the alphabet", s, n)
		}
		if again, err := NormalizeRecoveryCode(n); err != nil || again != n {
			t.Fatalf("NormalizeRecoveryCode is not idempotent on %q: %q, %v", n, again, err)
		}
	})
}
