package http

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
)

// statusOf is the one table that maps error kinds to HTTP statuses.
var statusOf = map[domain.Kind]int{
	domain.KindInvalid:         fiber.StatusBadRequest,
	domain.KindUnauthenticated: fiber.StatusUnauthorized,
	domain.KindForbidden:       fiber.StatusForbidden,
	domain.KindNotFound:        fiber.StatusNotFound,
	domain.KindConflict:        fiber.StatusConflict,
	domain.KindUnprocessable:   fiber.StatusUnprocessableEntity,
	domain.KindTooLarge:        fiber.StatusRequestEntityTooLarge,
	domain.KindUnsupported:     fiber.StatusUnsupportedMediaType,
	domain.KindRateLimited:     fiber.StatusTooManyRequests,
	domain.KindUnavailable:     fiber.StatusServiceUnavailable,
	domain.KindInternal:        fiber.StatusInternalServerError,
}

// statusOfCode refines statusOf for the transport-level codes, whose
// statuses are more specific than their kind's.
var statusOfCode = map[string]int{
	domain.CodeURITooLong:      fiber.StatusRequestURITooLong,
	domain.CodeHeadersTooLarge: fiber.StatusRequestHeaderFieldsTooLarge,
	domain.CodeRequestTimeout:  fiber.StatusRequestTimeout,
}

// Errors the adapter raises itself, before the core is reached.
var (
	errRouteNotFound    = domain.New(domain.KindNotFound, domain.CodeNotFound, "no such route")
	errMethodNotAllowed = domain.New(domain.KindNotFound, domain.CodeNotFound, "no such route for this method")
	errTooLarge         = domain.New(domain.KindTooLarge, domain.CodePayloadTooLarge, "request body exceeds 1 MiB")
	errNotJSON          = domain.New(domain.KindUnsupported, domain.CodeUnsupportedMediaType, "request body must be application/json")
	errRateLimited      = domain.New(domain.KindRateLimited, domain.CodeRateLimited, "too many requests")
	errDraining         = domain.New(domain.KindUnavailable, domain.CodeUnavailable, "server is shutting down")
)

type errorBody struct {
	Success   bool      `json:"success"`
	Error     errorInfo `json:"error"`
	RequestID string    `json:"requestId"`
}

type errorInfo struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Details []map[string]any `json:"details,omitempty"`
}

// classify turns any error a handler returns into a domain error, mapping
// Fiber's own errors (unknown route, body too large) into the vocabulary.
func classify(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return errRouteNotFound
		case fiber.StatusMethodNotAllowed:
			return errMethodNotAllowed
		case fiber.StatusRequestEntityTooLarge:
			return errTooLarge
		case fiber.StatusUnsupportedMediaType:
			return errNotJSON
		case fiber.StatusBadRequest:
			return domain.Invalid("", "malformed request")
		case fiber.StatusTooManyRequests:
			return errRateLimited
		case fiber.StatusServiceUnavailable:
			return errDraining
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return errHeadersTooLarge
		case fiber.StatusRequestURITooLong:
			return errURITooLong
		case fiber.StatusRequestTimeout:
			return errRequestTimeout
		}
	}
	return domain.New(domain.KindInternal, domain.CodeInternal, "internal error")
}

// handleError writes err as the error envelope. Internal errors are logged
// and reported with their cause; the client sees only a generic message.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, body := s.errorResponse(c, err)
	return c.Status(status).JSON(body)
}

// errorResponse classifies err into its status and envelope (reporting
// internal errors). It is handleError without the write, for responses
// stored under an Idempotency-Key, which must match a direct answer.
func (s *Server) errorResponse(c *fiber.Ctx, err error) (int, errorBody) {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(c.UserContext()), domain.ErrUnavailable) {
		// The store's circuit breaker cut the request short.
		err = fmt.Errorf("%w: %v", domain.ErrUnavailable, context.Cause(c.UserContext()))
	}
	var fe *fiber.Error
	if errors.As(err, &fe) && fe.Code == fiber.StatusRequestEntityTooLarge && c.Method() == fiber.MethodPost && c.Path() == uploadPath {
		// fasthttp refused an upload over its own limit.
		s.core.Media.RecordTooLarge()
		err = s.errUploadTooLarge()
	}
	de := classify(err)
	status, ok := statusOf[de.Kind]
	if !ok {
		status = fiber.StatusInternalServerError
	}
	if st, ok := statusOfCode[de.Code]; ok {
		status = st
	}
	// Every 5xx of a request is reported, a dependency outage (503) too:
	// the tracker groups its events into one issue. Readiness is exempt:
	// its 503 describes the server's state to a monitor, it is not a
	// failed request, and monitors poll it many times a minute.
	if status >= 500 && !(de.Kind == domain.KindUnavailable && routeOf(c) == readinessRoute) {
		s.reportInternal(c, err)
	}
	// A handler may have stored a deeper cause (readiness stores the ping
	// error) than the domain error it returns; keep it for the log.
	if _, set := c.Locals(localsCause).(error); status >= 500 && !set {
		c.Locals(localsCause, err)
	}
	c.Locals(localsErrorCode, de.Code)
	// A 5xx message is fixed text: wrapped causes (driver messages, DSNs)
	// stay in the logs.
	msg := de.Message
	switch {
	case status == fiber.StatusServiceUnavailable:
		msg = "service temporarily unavailable"
	case status >= 500:
		msg = "internal error"
	}
	id := requestID(c)
	if id == "" {
		// Fasthttp refuses oversized bodies before any middleware runs.
		id = newRequestID()
		c.Set(HeaderRequestID, id)
	}
	body := errorBody{Error: errorInfo{Code: de.Code, Message: msg}, RequestID: id}
	for _, d := range de.Details {
		m := map[string]any{"field": d.Field, "message": d.Message}
		for k, v := range d.Data {
			m[k] = v
		}
		body.Error.Details = append(body.Error.Details, m)
	}
	if de.RetryAfterSeconds > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(de.RetryAfterSeconds))
	}
	return status, body
}
