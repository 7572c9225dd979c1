package ports

// Page selects one page of a list. Number starts at 1; Limit is 1..100.
type Page struct {
	Number int
	Limit  int
}

// Offset returns how many items precede the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Limit }

// Sort orders a list by one field, ascending unless Desc.
type Sort struct {
	Field string
	Desc  bool
}
