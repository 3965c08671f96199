package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	sentinel := errors.New("conflict")
	err := fmt.Errorf("review emergency 4: %w", New(Conflict, "Emergency access is still running: end it first.", sentinel))
	p, ok := As(err)
	if !ok || p.Kind != Conflict || p.Message != "Emergency access is still running: end it first." {
		t.Fatalf("As(%v) = %+v, %t", err, p, ok)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, the cause) = false, want true", err)
	}
	if got := New(Gone, "The link has expired.", nil).Error(); got != "The link has expired." {
		t.Errorf("Error() without a cause = %q", got)
	}
	if _, ok := As(errors.New("plain")); ok {
		t.Errorf("As(a plain error) found a problem")
	}
	if Conflict.String() != "conflict" || Kind(0).String() != "" {
		t.Errorf("Kind names: %q %q", Conflict, Kind(0))
	}
}
