package domain

// ValidID reports whether s has the form of an id: a UUID in its canonical
// textual form, 8-4-4-4-12 hexadecimal digits. Adapters use it to answer
// not-found (for an id in a path) or a validation error (in a body or
// query) before asking storage about an id that cannot exist.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
