package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	httpadapter "github.com/secondbloom/marketplace/adapters/http"
)

// Contract checks exchanges against the server's own OpenAPI description:
// the status must be documented for the operation, the body must match its
// schema, and a request the server accepted must be valid under the
// description. Env.Do (and ContractTransport, for real sockets) runs every
// exchange of the acceptance suite through it, so the description cannot
// drift from what the server does.
type Contract struct {
	router routers.Router
}

var (
	registerDecoders sync.Once
	contractOnce     sync.Once
	contract         *Contract
	contractErr      error
)

// ServedContract returns the Contract of the description the server serves
// at /api/v1/openapi.json, loaded once per test binary.
func ServedContract() (*Contract, error) {
	contractOnce.Do(func() { contract, contractErr = NewContract(httpadapter.OpenAPISpec()) })
	return contract, contractErr
}

// NewContract loads and validates an OpenAPI description; it returns an
// error if the description is not valid OpenAPI.
func NewContract(spec []byte) (*Contract, error) {
	// Event streams (text/event-stream) are checked as text.
	registerDecoders.Do(func() { openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder) })
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi is invalid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	return &Contract{router: router}, nil
}

// ErrUndocumentedRoute is returned by Check for a request that matches no
// documented operation (for example a deliberately unknown path).
var ErrUndocumentedRoute = errors.New("no documented operation matches the request")

// Check validates one exchange: req with its body reqBody, answered with
// status, header and body. It returns ErrUndocumentedRoute when no
// operation matches, and a descriptive error when the status is not
// documented for the operation, the body does not match its schema, or the
// server accepted (2xx) a request that the description says is invalid.
func (c *Contract) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return ErrUndocumentedRoute
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: status, Header: header, Options: opts}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return fmt.Errorf("%s %s (%s) answered %d, which openapi.json does not describe: %w",
			req.Method, req.URL.Path, route.Operation.OperationID, status, err)
	}
	if status >= 200 && status < 300 {
		probe := req.Clone(req.Context())
		probe.Body = io.NopCloser(bytes.NewReader(reqBody))
		reqIn.Request = probe
		if err := openapi3filter.ValidateRequest(req.Context(), reqIn); err != nil {
			return fmt.Errorf("%s %s (%s) was accepted with %d, but openapi.json describes the request as invalid: %w",
				req.Method, req.URL.Path, route.Operation.OperationID, status, err)
		}
	}
	return nil
}

// checkContract fails t when the response to req is not described by the
// served OpenAPI document. Requests to undocumented paths (deliberately
// unknown routes) are not checked.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, resp *Response) {
	t.Helper()
	c, err := ServedContract()
	if err != nil {
		t.Fatal(err)
	}
	// The server consumed the request's body; Check gets a copy.
	probe := req.Clone(req.Context())
	probe.Body = http.NoBody
	if err := c.Check(probe, reqBody, resp.Status, resp.Header, resp.Raw); err != nil && !errors.Is(err, ErrUndocumentedRoute) {
		t.Errorf("response contract: %v\nbody: %s", err, resp.Raw)
	}
}

// ContractTransport wraps base (nil means http.DefaultTransport) so that
// every response it returns is checked against the served OpenAPI
// description like the responses of Env.Do, for clients that talk to
// Env.Listen over a real socket.
func ContractTransport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return contractTransport{t: t, base: base}
}

type contractTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (ct contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		reqBody, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	checkContract(ct.t, req, reqBody, &Response{Status: resp.StatusCode, Header: resp.Header, Raw: body})
	return resp, nil
}
