package sentry

import (
	"regexp"
	"strings"

	sentrygo "github.com/getsentry/sentry-go"
)

// filtered replaces a removed value.
const filtered = "[Filtered]"

// sensitiveHeaders are removed from every request, whatever their value.
var sensitiveHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
	"x-api-key":           true,
	"x-auth-token":        true,
}

// safeTags hold ids and route templates the scrubber must not mangle.
var safeTags = map[string]bool{"route": true, "request_id": true, "user_id": true, "method": true, "status": true}

var (
	// secretField matches a secret-bearing key and its value in JSON
	// ("code":"123456"), query strings and forms (token=...), and logs.
	secretField = regexp.MustCompile(`(?i)("?(?:access_?token|refresh_?token|id_?token|token|code|otp|password|passwd|secret|authorization|jwt_?secret|api_?key)"?\s*[:=]\s*)("[^"]*"|[^"&\s,;}]+)`)
	bearer      = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
	jwtLike     = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	urlCreds    = regexp.MustCompile(`(://)[^/@\s:]*(:[^/@\s]*)?@`)
	// A phone number: 8 to 15 digits, maybe after +, not part of a longer
	// run of letters or digits (so ids and hashes are left alone).
	phoneNumber = regexp.MustCompile(`(^|[^0-9A-Za-z])(\+?[1-9][0-9]{7,14})($|[^0-9A-Za-z])`)
	// A bare six-digit number is treated as a one-time code.
	sixDigits = regexp.MustCompile(`(^|[^0-9A-Za-z])[0-9]{6}($|[^0-9A-Za-z])`)
)

// scrubText removes secrets from free text. Each pattern is first only
// matched, which allocates nothing: most strings (every traced request's
// headers and tags go through here) contain none, and a replacement would
// copy them anyway.
func scrubText(s string) string {
	if s == "" {
		return s
	}
	if urlCreds.MatchString(s) {
		s = urlCreds.ReplaceAllString(s, "${1}"+filtered+"@")
	}
	if bearer.MatchString(s) {
		s = bearer.ReplaceAllString(s, "${1} "+filtered)
	}
	if jwtLike.MatchString(s) {
		s = jwtLike.ReplaceAllString(s, filtered)
	}
	if secretField.MatchString(s) {
		s = secretField.ReplaceAllStringFunc(s, func(m string) string {
			sub := secretField.FindStringSubmatch(m)
			if strings.HasPrefix(sub[2], `"`) {
				return sub[1] + `"` + filtered + `"`
			}
			return sub[1] + filtered
		})
	}
	if phoneNumber.MatchString(s) {
		s = phoneNumber.ReplaceAllStringFunc(s, func(m string) string {
			sub := phoneNumber.FindStringSubmatch(m)
			return sub[1] + MaskPhone(sub[2]) + sub[3]
		})
	}
	if sixDigits.MatchString(s) {
		s = sixDigits.ReplaceAllStringFunc(s, func(m string) string {
			sub := sixDigits.FindStringSubmatch(m)
			return sub[1] + filtered + sub[2]
		})
	}
	return s
}

// MaskPhone keeps the first four and last two characters of a phone
// number and masks the rest: "+998901234567" becomes "+998*******67".
func MaskPhone(p string) string {
	if len(p) <= 6 {
		return strings.Repeat("*", len(p))
	}
	return p[:4] + strings.Repeat("*", len(p)-6) + p[len(p)-2:]
}

// isAuthRoute reports whether a URL or route belongs to the auth area,
// whose request bodies carry phone numbers, codes and tokens.
func isAuthRoute(u string) bool { return strings.Contains(u, "/auth/") }

// scrubEvent removes what must never leave the server from an event or a
// transaction, in place, and returns it.
func scrubEvent(e *sentrygo.Event) *sentrygo.Event {
	if e == nil {
		return nil
	}
	e.Message = scrubText(e.Message)
	e.Transaction = scrubText(e.Transaction)
	for i := range e.Exception {
		e.Exception[i].Value = scrubText(e.Exception[i].Value)
		scrubStack(e.Exception[i].Stacktrace)
	}
	for i := range e.Threads {
		e.Threads[i].Name = scrubText(e.Threads[i].Name)
		scrubStack(e.Threads[i].Stacktrace)
	}
	for _, b := range e.Breadcrumbs {
		b.Message = scrubText(b.Message)
		scrubMap(b.Data)
	}
	for k, v := range e.Tags {
		if !safeTags[k] {
			e.Tags[k] = scrubText(v)
		}
	}
	scrubMap(e.Extra)
	for k, c := range e.Contexts {
		if k != "trace" { // ids only; scrubbing could break them
			scrubMap(c)
		}
	}
	// Only the user id may leave; never a phone, name, e-mail or IP.
	e.User = sentrygo.User{ID: e.User.ID}
	if r := e.Request; r != nil {
		authRoute := isAuthRoute(r.URL)
		r.URL = scrubText(r.URL)
		r.QueryString = scrubText(r.QueryString)
		r.Cookies = ""
		r.Env = nil
		if authRoute {
			r.Data = ""
		} else {
			r.Data = scrubText(r.Data)
		}
		for k, v := range r.Headers {
			if sensitiveHeaders[strings.ToLower(k)] {
				delete(r.Headers, k)
				continue
			}
			r.Headers[k] = scrubText(v)
		}
	}
	return e
}

// scrubMap scrubs the string values of m in place.
func scrubMap(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			m[k] = scrubText(v)
		case map[string]any:
			scrubMap(v)
		}
		if secretKey(k) {
			m[k] = filtered
		}
	}
}

// secretKey reports whether a map key names a secret.
func secretKey(k string) bool {
	switch strings.ToLower(strings.ReplaceAll(k, "_", "")) {
	case "code", "otp", "token", "accesstoken", "refreshtoken", "password", "secret", "authorization", "cookie":
		return true
	}
	return false
}

// scrubStack drops the source lines and variables of every frame: a line
// of code can hold a literal secret, and variables hold request data.
func scrubStack(st *sentrygo.Stacktrace) {
	if st == nil {
		return
	}
	for i := range st.Frames {
		st.Frames[i].PreContext = nil
		st.Frames[i].ContextLine = ""
		st.Frames[i].PostContext = nil
		st.Frames[i].Vars = nil
	}
}
