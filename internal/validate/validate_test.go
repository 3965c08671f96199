package validate

import (
	"errors"
	"testing"
)

func TestError(t *testing.T) {
	var none Error = Error{}
	if err := none.Err(); err != nil {
		t.Fatalf("Error{}.Err() = %v, want nil", err)
	}
	e := Error{}
	e.Add("slug", "is required")
	e.Add("name", "is too long")
	e.Add("slug", "second problem is ignored")
	err := e.Err()
	var got Error
	if !errors.As(err, &got) {
		t.Fatalf("errors.As(%v, *Error) = false, want true", err)
	}
	if got["slug"] != "is required" {
		t.Errorf(`got["slug"] = %q, want "is required"`, got["slug"])
	}
	if want := "invalid input: name: is too long; slug: is required"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
