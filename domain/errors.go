// Package domain holds the error vocabulary shared by every domain package:
// a small set of error kinds, the stable codes the API reports, and helpers
// to read them back from wrapped errors.
//
// Concept packages (phone, user, auth, product, order, auction) declare their
// own sentinel errors as *Error values and wrap them with %w, so callers can
// compare with errors.Is and the HTTP adapter can map any error to a status
// with KindOf and CodeOf.
package domain

import "errors"

// Kind classifies an error by what the caller can do about it. The list is
// append-only: adapters map kinds to transport statuses.
type Kind uint8

// The kinds of error. KindInternal is the zero value on purpose, so an
// unclassified error is never mistaken for a client error.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthenticated
	KindForbidden
	KindRateLimited
	KindUnavailable
	KindUnprocessable
	KindTooLarge
	KindUnsupported
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not found"
	case KindConflict:
		return "conflict"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindForbidden:
		return "forbidden"
	case KindRateLimited:
		return "rate limited"
	case KindUnavailable:
		return "unavailable"
	case KindUnprocessable:
		return "unprocessable"
	case KindTooLarge:
		return "too large"
	case KindUnsupported:
		return "unsupported"
	default:
		return "internal"
	}
}

// Stable error codes reported by the API (docs/API.md, "Error codes").
const (
	CodeValidationFailed     = "VALIDATION_FAILED"
	CodeUnauthorized         = "UNAUTHORIZED"
	CodeInvalidOTP           = "INVALID_OTP"
	CodeForbidden            = "FORBIDDEN"
	CodeAccountBlocked       = "ACCOUNT_BLOCKED"
	CodeNotFound             = "NOT_FOUND"
	CodeConflict             = "CONFLICT"
	CodeOutOfStock           = "OUT_OF_STOCK"
	CodeInvalidState         = "INVALID_STATE"
	CodeAuctionNotActive     = "AUCTION_NOT_ACTIVE"
	CodeBidTooLow            = "BID_TOO_LOW"
	CodeIdempotencyKeyInUse  = "IDEMPOTENCY_KEY_IN_USE"
	CodeIdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeRateLimited          = "RATE_LIMITED"
	CodeInternal             = "INTERNAL"
	CodeUnavailable          = "UNAVAILABLE"
	// Transport-level codes: the request itself is refused before it is
	// routed (a request line or headers too large, a request that did not
	// arrive in time).
	CodeURITooLong      = "URI_TOO_LONG"
	CodeHeadersTooLarge = "HEADERS_TOO_LARGE"
	CodeRequestTimeout  = "REQUEST_TIMEOUT"
)

// Detail describes one offending field, or carries data of a rule error.
// Data holds extra values a client may act on (for example "minNextBid").
type Detail struct {
	Field   string
	Message string
	Data    map[string]any
}

// Error is a classified error with a stable code and a message that is safe
// to show to a client.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Details []Detail
	// RetryAfterSeconds is set on rate-limit errors.
	RetryAfterSeconds int
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same code and message, so
// sentinel errors can be compared with errors.Is after being copied with
// details attached (see WithDetails).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && t.Message == e.Message
}

// WithDetails returns a copy of e carrying the given details. The copy still
// matches e under errors.Is.
func (e *Error) WithDetails(d ...Detail) *Error {
	c := *e
	c.Details = append(append([]Detail(nil), e.Details...), d...)
	return &c
}

// New returns an *Error of the given kind and code.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid returns a validation error for a single field.
func Invalid(field, message string) *Error {
	return &Error{
		Kind:    KindInvalid,
		Code:    CodeValidationFailed,
		Message: "validation failed",
		Details: []Detail{{Field: field, Message: message}},
	}
}

// Validation collects field errors; its Err method returns nil when none were
// added.
type Validation struct{ details []Detail }

// Add records a problem with field.
func (v *Validation) Add(field, message string) {
	v.details = append(v.details, Detail{Field: field, Message: message})
}

// Merge records the details of err if it is a validation error, or records
// the whole message against field otherwise.
func (v *Validation) Merge(field string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && e.Kind == KindInvalid && len(e.Details) > 0 {
		for _, d := range e.Details {
			if d.Field == "" {
				d.Field = field
			}
			v.details = append(v.details, d)
		}
		return
	}
	v.Add(field, err.Error())
}

// Err returns the collected validation error, or nil.
func (v *Validation) Err() error {
	if len(v.details) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: CodeValidationFailed, Message: "validation failed", Details: v.details}
}

// KindOf returns the kind of the first *Error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// CodeOf returns the code of the first *Error in err's chain, or
// CodeInternal when there is none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrUnavailable reports that a dependency, such as the database, cannot be
// reached. Adapters wrap their connection errors with it.
var ErrUnavailable = New(KindUnavailable, CodeUnavailable, "service temporarily unavailable")
