package domain_test

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/secondbloom/marketplace/domain"
)

var (
	errNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "thing not found")
	errStock    = domain.New(domain.KindConflict, domain.CodeOutOfStock, "not enough left")
)

func TestKindOfCodeOf(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantKind domain.Kind
		wantCode string
	}{
		{name: "nil", err: nil, wantKind: domain.KindInternal, wantCode: domain.CodeInternal},
		{name: "plain error", err: io.EOF, wantKind: domain.KindInternal, wantCode: domain.CodeInternal},
		{name: "sentinel", err: errNotFound, wantKind: domain.KindNotFound, wantCode: domain.CodeNotFound},
		{name: "wrapped once", err: fmt.Errorf("load: %w", errStock), wantKind: domain.KindConflict, wantCode: domain.CodeOutOfStock},
		{name: "wrapped twice", err: fmt.Errorf("a: %w", fmt.Errorf("b: %w", errNotFound)), wantKind: domain.KindNotFound, wantCode: domain.CodeNotFound},
		{name: "joined, first wins", err: errors.Join(io.EOF, errStock, errNotFound), wantKind: domain.KindConflict, wantCode: domain.CodeOutOfStock},
		{name: "with details", err: errStock.WithDetails(domain.Detail{Field: "quantity"}), wantKind: domain.KindConflict, wantCode: domain.CodeOutOfStock},
		{name: "invalid", err: domain.Invalid("title", "required"), wantKind: domain.KindInvalid, wantCode: domain.CodeValidationFailed},
		{name: "unavailable wrapped", err: fmt.Errorf("dial: %w", domain.ErrUnavailable), wantKind: domain.KindUnavailable, wantCode: domain.CodeUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.KindOf(tc.err); got != tc.wantKind {
				t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.wantKind)
			}
			if got := domain.CodeOf(tc.err); got != tc.wantCode {
				t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.wantCode)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind domain.Kind
		want string
	}{
		{domain.KindInternal, "internal"},
		{domain.KindInvalid, "invalid"},
		{domain.KindNotFound, "not found"},
		{domain.KindConflict, "conflict"},
		{domain.KindUnauthenticated, "unauthenticated"},
		{domain.KindForbidden, "forbidden"},
		{domain.KindRateLimited, "rate limited"},
		{domain.KindUnavailable, "unavailable"},
		{domain.KindUnprocessable, "unprocessable"},
		{domain.KindTooLarge, "too large"},
		{domain.KindUnsupported, "unsupported"},
		{domain.Kind(200), "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.kind.String(); got != tc.want {
				t.Errorf("Kind(%d).String() = %q, want %q", tc.kind, got, tc.want)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	withDetails := errNotFound.WithDetails(domain.Detail{Field: "id", Message: "no such id"})
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{name: "same sentinel", err: errNotFound, target: errNotFound, want: true},
		{name: "copy with details", err: withDetails, target: errNotFound, want: true},
		{name: "wrapped copy with details", err: fmt.Errorf("get: %w", withDetails), target: errNotFound, want: true},
		{name: "copy with retry-after", err: func() error { e := *errStock; e.RetryAfterSeconds = 3; return &e }(), target: errStock, want: true},
		{name: "other code", err: errStock, target: errNotFound, want: false},
		{name: "same code, other message", err: domain.New(domain.KindNotFound, domain.CodeNotFound, "other not found"), target: errNotFound, want: false},
		{name: "non-domain target", err: errNotFound, target: io.EOF, want: false},
		{name: "non-domain error", err: io.EOF, target: errNotFound, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, tc.target); got != tc.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
			}
		})
	}
}

func TestWithDetails(t *testing.T) {
	// Three details from Validation leave spare capacity in the slice, so
	// copies that appended in place would overwrite each other.
	var v domain.Validation
	v.Add("a", "bad a")
	v.Add("b", "bad b")
	v.Add("c", "bad c")
	var base *domain.Error
	if !errors.As(v.Err(), &base) {
		t.Fatalf("Validation.Err() = %v, want a *domain.Error", v.Err())
	}
	c1 := base.WithDetails(domain.Detail{Field: "d", Message: "bad d"})
	c2 := base.WithDetails(domain.Detail{Field: "e", Message: "bad e"})
	if got := len(base.Details); got != 3 {
		t.Errorf("len(base.Details) after WithDetails = %d, want 3 (base must not change)", got)
	}
	if got, want := fields(c1.Details), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("c1 details = %v, want %v", got, want)
	}
	if got, want := fields(c2.Details), []string{"a", "b", "c", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("c2 details = %v, want %v (copies must not share storage)", got, want)
	}
	if c1 == base || c1.Kind != base.Kind || c1.Code != base.Code || c1.Error() != base.Error() {
		t.Errorf("WithDetails() = %+v, want a distinct copy of %+v", c1, base)
	}
}

func fields(ds []domain.Detail) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Field)
	}
	return out
}

func TestInvalid(t *testing.T) {
	err := domain.Invalid("title", "is required")
	want := &domain.Error{Kind: domain.KindInvalid, Code: domain.CodeValidationFailed, Message: "validation failed",
		Details: []domain.Detail{{Field: "title", Message: "is required"}}}
	if !reflect.DeepEqual(err, want) {
		t.Errorf("Invalid(...) = %+v, want %+v", err, want)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name  string
		build func(v *domain.Validation)
		want  []domain.Detail // nil means Err returns nil
	}{
		{name: "empty", build: func(v *domain.Validation) {}},
		{name: "merge nil", build: func(v *domain.Validation) { v.Merge("x", nil) }},
		{name: "one add", build: func(v *domain.Validation) { v.Add("title", "required") },
			want: []domain.Detail{{Field: "title", Message: "required"}}},
		{name: "adds keep order", build: func(v *domain.Validation) { v.Add("b", "1"); v.Add("a", "2") },
			want: []domain.Detail{{Field: "b", Message: "1"}, {Field: "a", Message: "2"}}},
		{name: "merge validation error keeps its fields", build: func(v *domain.Validation) {
			v.Merge("price", domain.Invalid("amount", "too big"))
		}, want: []domain.Detail{{Field: "amount", Message: "too big"}}},
		{name: "merge wrapped validation error", build: func(v *domain.Validation) {
			v.Merge("price", fmt.Errorf("parse: %w", domain.Invalid("amount", "too big")))
		}, want: []domain.Detail{{Field: "amount", Message: "too big"}}},
		{name: "merge fills empty field names", build: func(v *domain.Validation) {
			v.Merge("currency", domain.Invalid("", "unknown").WithDetails(domain.Detail{Field: "iso", Message: "3 letters"}))
		}, want: []domain.Detail{{Field: "currency", Message: "unknown"}, {Field: "iso", Message: "3 letters"}}},
		{name: "merge invalid without details uses field and message", build: func(v *domain.Validation) {
			v.Merge("currency", domain.New(domain.KindInvalid, domain.CodeValidationFailed, "bad currency"))
		}, want: []domain.Detail{{Field: "currency", Message: "bad currency"}}},
		{name: "merge other kind uses field and message", build: func(v *domain.Validation) {
			v.Merge("category", errNotFound.WithDetails(domain.Detail{Field: "id"}))
		}, want: []domain.Detail{{Field: "category", Message: "thing not found"}}},
		{name: "merge plain error", build: func(v *domain.Validation) { v.Merge("file", io.EOF) },
			want: []domain.Detail{{Field: "file", Message: "EOF"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v domain.Validation
			tc.build(&v)
			err := v.Err()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var e *domain.Error
			if !errors.As(err, &e) {
				t.Fatalf("Err() = %v, want a *domain.Error", err)
			}
			if e.Kind != domain.KindInvalid || e.Code != domain.CodeValidationFailed {
				t.Errorf("Err() kind, code = %v, %q, want %v, %q", e.Kind, e.Code, domain.KindInvalid, domain.CodeValidationFailed)
			}
			if !reflect.DeepEqual(e.Details, tc.want) {
				t.Errorf("Err().Details = %+v, want %+v", e.Details, tc.want)
			}
		})
	}
}

func TestValidationMergeDoesNotModifySource(t *testing.T) {
	src := domain.Invalid("", "unknown")
	var v domain.Validation
	v.Merge("currency", src)
	if got := src.Details[0].Field; got != "" {
		t.Errorf("source detail field after Merge = %q, want %q", got, "")
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"01a219be-be3c-77e3-8614-73f84720bf4c", true},
		{"01A219BE-BE3C-77E3-8614-73F84720BF4C", true},
		{"01a219be-be3c-77e3-8614-73f84720bf4", false},
		{"01a219be-be3c-77e3-8614-73f84720bf4cc", false},
		{"01a219bebbe3c-77e3-8614-73f84720bf4c", false},
		{"01a219be-be3c-77e3-8614-73f84720bf4g", false},
		{"{01a219be-be3c-77e3-8614-73f84720bf4}", false},
		{"urn:uuid:01a219be-be3c-77e3-8614-73f8", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := domain.ValidID(tc.in); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
