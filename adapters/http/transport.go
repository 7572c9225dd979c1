package http

import (
	"errors"
	"net"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secondbloom/marketplace/domain"
)

// Limits on the request itself, before any body: the request line and
// headers together, and within that the request line alone.
const (
	// MaxHeaderBytes bounds the request line and headers together; more is
	// 431 HEADERS_TOO_LARGE. It is also fasthttp's read buffer, which must
	// hold every header of a request at once.
	MaxHeaderBytes = 16 << 10
	// MaxRequestLineBytes bounds the request line (method, target and
	// protocol); more is 414 URI_TOO_LONG.
	MaxRequestLineBytes = 8 << 10
)

// Errors of requests that could not be read or are refused before routing.
var (
	errHeadersTooLarge = domain.New(domain.KindTooLarge, domain.CodeHeadersTooLarge, "request line and headers exceed 16 KiB")
	errURITooLong      = domain.New(domain.KindTooLarge, domain.CodeURITooLong, "request line exceeds 8 KiB")
	errRequestTimeout  = domain.New(domain.KindInvalid, domain.CodeRequestTimeout, "the request did not arrive in time")
	errMalformed       = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "malformed HTTP request")
)

// userValueTransportError is the fasthttp user value under which a
// transport error travels to refuseBadTransport.
const userValueTransportError = "secondbloom.transportError"

// knownMethods are the methods Fiber routes; it answers any other with a
// plain-text 400 of its own before any middleware runs.
var knownMethods = map[string]bool{
	fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodPost: true, fiber.MethodPut: true,
	fiber.MethodDelete: true, fiber.MethodConnect: true, fiber.MethodOptions: true,
	fiber.MethodTrace: true, fiber.MethodPatch: true,
}

// guardTransport makes errors that fasthttp and Fiber raise outside the
// middleware chain go through it after all. Fasthttp hands a request it
// could not read (headers over the read buffer, a body over the limit, a
// read timeout, a syntax error) to Server.ErrorHandler, which Fiber sets to
// a function calling the app's error handler directly: no request id, no
// log line, no metrics, and errors it does not know become a 500 reported
// to the error tracker. Instead, the failed request is replaced by a
// neutral one carrying the error, and served through the whole chain,
// where refuseBadTransport returns the error: it is logged with a request
// id, counted, and answered in the envelope like any other 4xx.
func (s *Server) guardTransport() {
	fs := s.fiber.Server()
	inner := fs.Handler
	fs.Handler = func(fctx *fasthttp.RequestCtx) {
		if !knownMethods[string(fctx.Method())] {
			fctx.SetUserValue(userValueTransportError, errMethodNotAllowed)
			fctx.Request.Header.SetMethod(fiber.MethodGet)
		}
		inner(fctx)
	}
	fs.ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		fctx.SetUserValue(userValueTransportError, transportError(err))
		// What fasthttp parsed of a request it could not read is partial;
		// the stand-in reaches no route.
		fctx.Request.Reset()
		fctx.Request.Header.SetMethod(fiber.MethodGet)
		fctx.Request.SetRequestURI("/")
		inner(fctx)
	}
}

// transportError maps an error of fasthttp's request reader to the
// client error it stands for. None is a 5xx: they are the client's doing
// (or its network's), never a bug of ours to report.
func transportError(err error) *domain.Error {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		return errHeadersTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout(),
		strings.Contains(err.Error(), "timeout"):
		return errRequestTimeout
	default:
		// Syntax errors, bad Content-Length, broken chunked encoding, and
		// connections that broke mid-request.
		return errMalformed
	}
}

// refuseBadTransport returns the transport error guardTransport attached,
// and refuses request lines over MaxRequestLineBytes.
func (s *Server) refuseBadTransport(c *fiber.Ctx) error {
	if err, ok := c.Context().UserValue(userValueTransportError).(error); ok {
		return err
	}
	h := &c.Request().Header
	// "METHOD SP target SP HTTP/1.1"
	if len(h.Method())+len(h.RequestURI())+len(h.Protocol())+2 > MaxRequestLineBytes {
		return errURITooLong
	}
	return c.Next()
}
