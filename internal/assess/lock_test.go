package assess

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/problem"
)

func TestRetainedUntil(t *testing.T) {
	signed := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	replaced := time.Date(2027, 5, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		a         Assessment
		now       time.Time
		wantUntil time.Time
		wantKept  bool
	}{
		{"draft", Assessment{Status: StatusDraft}, signed, time.Time{}, false},
		{"in review", Assessment{Status: StatusInReview, RetainUntil: RetainUntil(signed)}, signed, time.Time{}, false},
		// §164.316(b)(2)(i): six years from when it was last in effect. The
		// final assessment in effect (not yet replaced) has no end date:
		// it is kept however long it stays in effect.
		{"in effect, the day it is signed", Assessment{Status: StatusFinal, FinalisedAt: signed, LastEffective: signed, RetainUntil: RetainUntil(signed)}, signed, time.Time{}, true},
		{"in effect seven years on, never replaced", Assessment{Status: StatusFinal, FinalisedAt: signed, LastEffective: signed, RetainUntil: RetainUntil(signed)}, signed.AddDate(7, 0, 0), time.Time{}, true},
		{"in effect, no date recorded", Assessment{Status: StatusFinal, FinalisedAt: signed}, signed.AddDate(5, 0, 0), time.Time{}, true},
		{"replaced, a second before the date", Assessment{Status: StatusFinal, FinalisedAt: signed, LastEffective: replaced, RetainUntil: RetainUntil(replaced)}, replaced.AddDate(6, 0, 0).Add(-time.Second), replaced.AddDate(6, 0, 0), true},
		{"replaced, on the date", Assessment{Status: StatusFinal, FinalisedAt: signed, LastEffective: replaced, RetainUntil: RetainUntil(replaced)}, replaced.AddDate(6, 0, 0), replaced.AddDate(6, 0, 0), false},
		{"replaced later: counts from the last effective date, not sign-off", Assessment{Status: StatusFinal, FinalisedAt: signed, LastEffective: replaced, RetainUntil: RetainUntil(replaced)}, signed.AddDate(6, 0, 1), replaced.AddDate(6, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			until, kept := RetainedUntil(tt.a, tt.now)
			if !until.Equal(tt.wantUntil) || kept != tt.wantKept {
				t.Errorf("RetainedUntil() = %v, %t, want %v, %t", until, kept, tt.wantUntil, tt.wantKept)
			}
			err := CheckDeletable(tt.a, tt.now)
			var re *RetentionError
			switch {
			case tt.wantKept && (!errors.As(err, &re) || !re.Until.Equal(tt.wantUntil)):
				t.Errorf("CheckDeletable() = %v, want a RetentionError until %v", err, tt.wantUntil)
			case !tt.wantKept && err != nil:
				t.Errorf("CheckDeletable() = %v, want nil", err)
			}
			want := tt.wantUntil.Format("2 January 2006")
			if tt.wantUntil.IsZero() {
				want = "in effect"
			}
			if p, ok := problem.As(err); tt.wantKept && (!ok || p.Kind != problem.Conflict || !strings.Contains(p.Message, want)) {
				t.Errorf("CheckDeletable() problem = %+v, want a conflict naming %v", p, tt.wantUntil)
			}
		})
	}
}

func TestCheckEditable(t *testing.T) {
	signed := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		status  Status
		refused bool
	}{
		{StatusDraft, false},
		{StatusInReview, false},
		{StatusFinal, true},
	}
	for _, tt := range tests {
		a := Assessment{Name: "2026", Status: tt.status, FinalisedAt: signed}
		err := a.CheckEditable()
		if !tt.refused {
			if err != nil {
				t.Errorf("CheckEditable(%s) = %v, want nil", tt.status, err)
			}
			continue
		}
		var fe *FinalError
		if !errors.As(err, &fe) || !fe.FinalisedAt.Equal(signed) {
			t.Fatalf("CheckEditable(%s) = %v, want a FinalError dated %v", tt.status, err, signed)
		}
		p, ok := problem.As(err)
		want := `Assessment "2026" was finalised on 1 March 2026 and cannot be changed; start a new one as a copy.`
		if !ok || p.Kind != problem.Conflict || p.Message != want {
			t.Errorf("CheckEditable(%s) problem = %+v, want conflict %q", tt.status, p, want)
		}
	}
}
