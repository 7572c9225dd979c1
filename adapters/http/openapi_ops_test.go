package http

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// documentedOperation is one method of one path of openapi.json, with the
// fields the completeness rules read.
type documentedOperation struct {
	Method      string
	Path        string
	OperationID string                     `json:"operationId"`
	Security    []map[string][]string      `json:"security"`
	RequestBody json.RawMessage            `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

func documentedOperations(t *testing.T) []documentedOperation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var ops []documentedOperation
	for path, methods := range doc.Paths {
		for method, raw := range methods {
			if method == "parameters" {
				continue
			}
			op := documentedOperation{Method: strings.ToUpper(method), Path: path}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	if len(ops) < 10 {
		t.Fatalf("only %d operations found; the walk is broken", len(ops))
	}
	return ops
}

// TestOpenAPIOperationIDs requires every operation to have a unique
// camelCase operationId, so generated clients get readable method names
// (placeOrder, not PostApiV1Orders). Ids are part of the contract: renaming
// one breaks every generated client.
func TestOpenAPIOperationIDs(t *testing.T) {
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	owner := map[string]string{}
	for _, op := range documentedOperations(t) {
		where := op.Method + " " + op.Path
		switch {
		case op.OperationID == "":
			t.Errorf("%s has no operationId", where)
		case !camel.MatchString(op.OperationID):
			t.Errorf("%s: operationId %q is not camelCase (lower-case first letter, letters and digits only)", where, op.OperationID)
		case owner[op.OperationID] != "":
			t.Errorf("%s: operationId %q is already used by %s", where, op.OperationID, owner[op.OperationID])
		}
		owner[op.OperationID] = where
	}
	// A few ids clients already use; they must not change.
	for id, where := range map[string]string{
		"sendOtp":      "POST /api/v1/auth/send-otp",
		"listProducts": "GET /api/v1/products",
		"placeOrder":   "POST /api/v1/orders",
		"placeBid":     "POST /api/v1/auctions/{id}/bids",
		"readiness":    "GET /api/v1/health/readiness",
	} {
		if owner[id] != where {
			t.Errorf("operationId %s is on %q, want %q", id, owner[id], where)
		}
	}
}

// TestOpenAPIDocumentsEveryStatus checks the statuses any operation of its
// kind can answer: 414, 431, 500 and 503 everywhere (the transport and the
// database can fail on any route), 401 wherever a token is read (declared
// with security), 413 on
// every POST and PATCH, 400 and 415 wherever a JSON body is read, 404
// wherever the path names an object.
func TestOpenAPIDocumentsEveryStatus(t *testing.T) {
	for _, op := range documentedOperations(t) {
		want := []string{"414", "431", "500", "503"}
		// Routes that read a token, required or optional ([{}, {bearerAuth}]:
		// a bad token is a 401 there too).
		if len(op.Security) > 0 {
			want = append(want, "401")
		}
		if op.Method == "POST" || op.Method == "PATCH" {
			want = append(want, "413")
		}
		if op.RequestBody != nil {
			want = append(want, "400", "415")
		}
		if strings.Contains(op.Path, "{") {
			want = append(want, "404")
		}
		for _, status := range want {
			if _, ok := op.Responses[status]; !ok {
				t.Errorf("%s %s (%s) does not document %s", op.Method, op.Path, op.OperationID, status)
			}
		}
	}
}

// TestOpenAPIIsValid loads the merged description with kin-openapi and
// validates it against the OpenAPI specification (references resolve,
// schemas are well formed, path parameters are declared).
func TestOpenAPIIsValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPISpec)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI description: %v", err)
	}
}
