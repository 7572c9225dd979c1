package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
)

// field declares one member of a JSON request body and where to decode it.
type field struct {
	name     string
	dst      any // pointer; a pointer-to-pointer marks an optional field
	required bool
	nullable bool
}

// required declares a field that must be present and not null.
func required(name string, dst any) field { return field{name: name, dst: dst, required: true} }

// optional declares a field that may be absent. dst should be a pointer to
// a pointer so the handler can tell absent (nil) from present.
func optional(name string, dst any) field { return field{name: name, dst: dst} }

// nullable declares an optional field that may also be null (to clear it).
// Present-but-null leaves dst untouched and records the name in nulls.
func nullable(name string, dst any) field { return field{name: name, dst: dst, nullable: true} }

// hasBody reports whether the request carries a body.
func hasBody(c *fiber.Ctx) bool { return len(c.Body()) > 0 }

// checkJSON returns a 415 error unless the request's content type is JSON.
func checkJSON(c *fiber.Ctx) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return errNotJSON
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errNotJSON
	}
	return nil
}

// decode reads the request body as one JSON object holding only the given
// fields, each of the declared type. Every offending field gets its own
// detail: unknown, duplicate, missing, null or of the wrong type. It
// returns 415 for a body that is not JSON and 400 for malformed JSON. A
// route whose fields are all optional accepts an empty body.
func decode(c *fiber.Ctx, fields ...field) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		if len(body) > 0 || c.Get(fiber.HeaderContentType) != "" {
			if err := checkJSON(c); err != nil {
				return err
			}
		}
		var v domain.Validation
		for _, f := range fields {
			if f.required {
				v.Add(f.name, "is required")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		return nil
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	raw, err := splitObject(body)
	if err != nil {
		return err
	}
	known := make(map[string]field, len(fields))
	for _, f := range fields {
		known[f.name] = f
	}
	var v domain.Validation
	for _, m := range raw {
		_, ok := known[m.name]
		switch {
		case !ok:
			v.Add(m.name, "is not a known field")
		case m.dup:
			v.Add(m.name, "appears more than once")
		}
	}
	seen := map[string]json.RawMessage{}
	for _, m := range raw {
		seen[m.name] = m.value
	}
	for _, f := range fields {
		val, present := seen[f.name]
		switch {
		case !present:
			if f.required {
				v.Add(f.name, "is required")
			}
		case bytes.Equal(val, []byte("null")):
			if !f.nullable {
				v.Add(f.name, "must not be null")
			}
		default:
			if err := strictUnmarshal(val, f.dst); err != nil {
				v.Add(f.name, "must be "+typeName(f.dst))
			}
		}
	}
	return v.Err()
}

type member struct {
	name  string
	value json.RawMessage
	dup   bool
}

// splitObject splits a JSON object into its members, keeping duplicates.
func splitObject(body []byte) ([]member, error) {
	malformed := func(msg string) error { return domain.Invalid("body", msg) }
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, malformed("must be a JSON object")
	}
	var out []member
	names := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("is not valid JSON")
		}
		name, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, malformed("is not valid JSON")
		}
		out = append(out, member{name: name, value: val, dup: names[name]})
		names[name] = true
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed("is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("must hold exactly one JSON object")
	}
	return out, nil
}

// strictUnmarshal decodes one value, refusing unknown fields in nested
// objects too.
func strictUnmarshal(val []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(val))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// typeName describes the JSON type dst expects, for error details.
func typeName(dst any) string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(localizedJSON{}) {
		return "a string or an object of uz, ru, en texts"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return fmt.Sprintf("of type %s", t.Kind())
}
