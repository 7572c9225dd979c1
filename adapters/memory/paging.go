package memory

import (
	"slices"

	"github.com/secondbloom/marketplace/ports"
)

// pageOf orders items by their positions (descending when desc) and
// returns the page p of them with what the page says about the list: the
// total, and the position of the page's last item when more follow. In
// keyset mode (p.After set) the page starts after p.After, wherever that
// row is now, so rows added or removed since the previous page neither
// repeat nor go missing.
func pageOf[T any](items []T, p ports.Page, desc bool, pos func(T) ports.Position) ([]T, ports.Listed) {
	keys := make([]ports.Position, len(items))
	idx := make([]int, len(items))
	for i, it := range items {
		keys[i], idx[i] = pos(it), i
	}
	cmp := func(a, b ports.Position) int {
		if desc {
			return b.Compare(a)
		}
		return a.Compare(b)
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp(keys[a], keys[b]) })
	from := p.Offset()
	if p.After != nil {
		from, _ = slices.BinarySearchFunc(idx, *p.After, func(i int, after ports.Position) int {
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
	l := ports.Listed{Total: len(items)}
	if to < len(idx) && to > from {
		next := keys[idx[to-1]]
		l.Next = &next
	}
	return out, l
}

// window returns the page p of items, already in order (page mode only).
func window[T any](items []T, p ports.Page) []T {
	from := p.Offset()
	if from >= len(items) || from < 0 {
		return nil
	}
	to := min(from+p.Limit, len(items))
	return items[from:to]
}
