package ports

import (
	"slices"
	"time"
)

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
// their sequence number; categories: Int = position, Text = name; users
// and audit entries: Time = createdAt; reference items: Int = position,
// Text = code). The
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

// PageOf orders items by their positions (descending when desc) and
// returns the page p of them with what the page says about the list: the
// total, and the position of the page's last item when more follow. In
// keyset mode (p.After set) the page starts after p.After, wherever that
// row is now, so rows added or removed since the previous page neither
// repeat nor go missing. It serves the lists held in memory (the memory
// store, the reference lists' cache).
func PageOf[T any](items []T, p Page, desc bool, pos func(T) Position) ([]T, Listed) {
	keys := make([]Position, len(items))
	idx := make([]int, len(items))
	for i, it := range items {
		keys[i], idx[i] = pos(it), i
	}
	cmp := func(a, b Position) int {
		if desc {
			return b.Compare(a)
		}
		return a.Compare(b)
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp(keys[a], keys[b]) })
	from := p.Offset()
	if p.After != nil {
		from, _ = slices.BinarySearchFunc(idx, *p.After, func(i int, after Position) int {
			if cmp(keys[i], after) <= 0 {
				return -1
			}
			return 1
		})
	}
	from = min(max(from, 0), len(idx))
	to := min(from+p.Limit, len(idx))
	out := make([]T, 0, to-from)
	for _, i := range idx[from:to] {
		out = append(out, items[i])
	}
	l := Listed{Total: len(items)}
	if to < len(idx) && to > from {
		next := keys[idx[to-1]]
		l.Next = &next
	}
	return out, l
}
