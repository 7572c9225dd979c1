package ports

import "time"

// Page selects one page of a list: by number (Number starts at 1) or,
// when After is set, as the rows that follow After in the list's order
// (keyset paging; Number is then ignored). Limit is 1..100 either way.
type Page struct {
	Number int
	Limit  int
	After  *Position
}

// Offset returns how many items precede the page in page mode.
func (p Page) Offset() int {
	if p.After != nil {
		return 0
	}
	return (p.Number - 1) * p.Limit
}

// Position is a row's place in a list's order: the values of its sort
// key and its id, the tie-breaker. Each list fills the fields its order
// uses, in this priority: Int, then Time, then Text, then ID (products by
// price: Int = price, Time = createdAt; by createdAt: Time only; orders
// by totalPrice: Int and Time; bids: Int = amount; notifications: Int =
// their sequence number; categories: Int = position, Text = name). The
// fields a list does not use stay zero, so comparing two positions of one
// list field by field in that priority gives the list's order.
type Position struct {
	Int  int64
	Time time.Time
	Text string
	ID   string
}

// Listed describes the page a List returned.
type Listed struct {
	// Total is the number of rows the filter matches; an estimate when
	// TotalIsEstimate is set.
	Total           int
	TotalIsEstimate bool
	// Next is the position of the page's last row when more rows follow,
	// nil on the last page.
	Next *Position
}

// Sort orders a list by one field, ascending unless Desc.
type Sort struct {
	Field string
	Desc  bool
}

// Compare orders a and b by Int, then Time, then Text, then ID: -1 when a
// comes first in an ascending list, 1 when b does, 0 when they are equal.
func (a Position) Compare(b Position) int {
	switch {
	case a.Int < b.Int:
		return -1
	case a.Int > b.Int:
		return 1
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	switch {
	case a.Text < b.Text:
		return -1
	case a.Text > b.Text:
		return 1
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}
