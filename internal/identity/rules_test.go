package identity

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/problem"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// field returns the message of a validate.Error for field, or "".
func field(err error, name string) string {
	var v validate.Error
	if errors.As(err, &v) {
		return v[name]
	}
	return ""
}

func TestNormalizeTokenName(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"", DefaultTokenName, ""},
		{"   ", DefaultTokenName, ""},
		{"  backup script ", "backup script", ""},
		{strings.Repeat("a", 100), strings.Repeat("a", 100), ""},
		{strings.Repeat("a", 101), "", "must be at most 100 characters"},
	}
	for _, tt := range tests {
		got, err := NormalizeTokenName(tt.in)
		if got != tt.want || field(err, "name") != tt.problem {
			t.Errorf("NormalizeTokenName(%q) = %q, %v, want %q, %q", tt.in, got, err, tt.want, tt.problem)
		}
	}
}

func TestCheckTokenLifetime(t *testing.T) {
	tests := []struct {
		ttl time.Duration
		ok  bool
	}{
		{-time.Second, false}, {0, false}, {time.Second, true}, {30 * 24 * time.Hour, true},
		{366 * 24 * time.Hour, true}, {366*24*time.Hour + time.Second, false},
	}
	for _, tt := range tests {
		err := CheckTokenLifetime(tt.ttl)
		if (err == nil) != tt.ok || (err != nil && field(err, "expires") == "") {
			t.Errorf("CheckTokenLifetime(%v) = %v, want ok %v", tt.ttl, err, tt.ok)
		}
	}
}

func TestNormalizePasskeyName(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"  YubiKey 5 ", "YubiKey 5", ""},
		{"", "", "is required"},
		{" \t ", "", "is required"},
		{"bad\xffname", "", "must be valid UTF-8 text"},
		{strings.Repeat("é", MaxPasskeyName), strings.Repeat("é", MaxPasskeyName), ""},
		{strings.Repeat("é", MaxPasskeyName+1), "", "must be at most 64 characters"},
		{"two\nlines", "", "must be one line of printable text"},
		{"nul\x00", "", "must be one line of printable text"},
	}
	for _, tt := range tests {
		got, err := NormalizePasskeyName(tt.in)
		if got != tt.want || field(err, "name") != tt.problem {
			t.Errorf("NormalizePasskeyName(%q) = %q, %v, want %q, %q", tt.in, got, err, tt.want, tt.problem)
		}
	}
}

func TestRemoveSecondFactor(t *testing.T) {
	tests := []struct {
		required bool
		left     int
		want     FactorRemoval
		refused  bool
	}{
		{false, 2, FactorRemoval{}, false},
		{true, 1, FactorRemoval{}, false},
		{false, 0, FactorRemoval{DropRecoveryCodes: true}, false},
		{true, 0, FactorRemoval{}, true},
	}
	for _, tt := range tests {
		got, err := RemoveSecondFactor(tt.required, tt.left)
		if got != tt.want || errors.Is(err, ErrLastSecondFactor) != tt.refused {
			t.Errorf("RemoveSecondFactor(%v, %d) = %+v, %v, want %+v, refused %v", tt.required, tt.left, got, err, tt.want, tt.refused)
		}
		if p, ok := problem.As(err); tt.refused && (!ok || p.Kind != problem.Conflict) {
			t.Errorf("RemoveSecondFactor(%v, %d) = %v, want a conflict", tt.required, tt.left, err)
		}
	}
}

func TestEmergencyReview(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	finished := Emergency{ID: 7, UserID: 1, StartedAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)}
	running := finished
	running.EndsAt = now.Add(time.Hour)
	endedEarly := running
	endedEarly.EndedAt = now.Add(-time.Minute)
	reviewed := finished
	reviewed.ReviewedAt, reviewed.ReviewedBy = now.Add(-time.Minute), 2
	const note = "checked every record read"
	tests := []struct {
		name     string
		e        Emergency
		reviewer int64
		note     string
		field    string // a field problem on note
		conflict bool
	}{
		{"finished, by someone else", finished, 2, note, "", false},
		{"ended early", endedEarly, 2, note, "", false},
		{"note too short", finished, 2, "too short", "must say what was checked (at least 10 characters)", false},
		{"note too long", finished, 2, strings.Repeat("x", MaxReviewNote+1), "must be at most 4000 characters", false},
		{"still running", running, 2, note, "", true},
		{"reviewed already", reviewed, 3, note, "", true},
		{"by the person who used it", finished, 1, note, "someone other than the person who used emergency access must review it", false},
	}
	for _, tt := range tests {
		e := tt.e
		err := e.Review(tt.reviewer, tt.note, now)
		p, isProblem := problem.As(err)
		switch {
		case field(err, "note") != tt.field:
			t.Errorf("%s: Review = %v, want note problem %q", tt.name, err, tt.field)
		case tt.conflict != (isProblem && p.Kind == problem.Conflict):
			t.Errorf("%s: Review = %v, want conflict %v", tt.name, err, tt.conflict)
		case err == nil && (e.ReviewedAt != now || e.ReviewedBy != tt.reviewer || e.ReviewNote != tt.note):
			t.Errorf("%s: Review left %+v, want reviewed at %v by %d", tt.name, e, now, tt.reviewer)
		case err != nil && e != tt.e:
			t.Errorf("%s: a refused Review changed the record", tt.name)
		}
	}
}

func TestCheckIdleTimeout(t *testing.T) {
	tests := []struct {
		d  time.Duration
		ok bool
	}{
		{0, true}, {time.Second, false}, {59 * time.Second, false}, {time.Minute, true},
		{8 * time.Hour, true}, {8*time.Hour + time.Second, false}, {-time.Minute, false},
	}
	for _, tt := range tests {
		err := CheckIdleTimeout(tt.d)
		if (err == nil) != tt.ok || (err != nil && field(err, "idle_timeout") != "must be between 1 minute and 8 hours") {
			t.Errorf("CheckIdleTimeout(%v) = %v, want ok %v", tt.d, err, tt.ok)
		}
	}
}
