package porttest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// lister lists one page of some list as ids.
type lister func(p ports.Page) ([]string, ports.Listed, error)

// walkByCursor reads a whole list by keyset paging, the limit cycling
// through limits (a client may change it between pages), and returns the
// ids in the order met. It fails on an error, on a page that is not full
// while Next is set, on a repeated id, and on a total that moves.
func walkByCursor(t *testing.T, list lister, limits ...int) []string {
	t.Helper()
	var (
		out   []string
		after *ports.Position
		total = -1
	)
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("the walk does not end")
		}
		limit := limits[i%len(limits)]
		got, l, err := list(ports.Page{Number: 1, Limit: limit, After: after})
		if err != nil {
			t.Fatalf("page %d after %+v: %v", i+1, after, err)
		}
		if total >= 0 && l.Total != total {
			t.Errorf("page %d: total %d, was %d on the first page", i+1, l.Total, total)
		}
		total = l.Total
		for _, id := range got {
			if slices.Contains(out, id) {
				t.Fatalf("page %d repeats %s (walked so far: %v)", i+1, id, out)
			}
			out = append(out, id)
		}
		if l.Next == nil {
			if len(out) != total {
				t.Errorf("walk ended after %d rows, total says %d", len(out), total)
			}
			return out
		}
		if len(got) != limit {
			t.Fatalf("page %d has %d rows of %d but a next position", i+1, len(got), limit)
		}
		if l.Next.ID != got[len(got)-1] {
			t.Fatalf("page %d: next position %+v is not its last row %s", i+1, l.Next, got[len(got)-1])
		}
		after = l.Next
	}
}

// checkPaging walks list by cursor with several limits and compares the
// rows with want, the list's order as the test computed it; then checks
// that page mode agrees and that its Next leads to the following page.
func checkPaging(t *testing.T, list lister, want []string) {
	t.Helper()
	for _, limits := range [][]int{{1}, {2, 5, 1}, {3}, {len(want)}, {100}} {
		if got := walkByCursor(t, list, limits...); !slices.Equal(got, want) {
			t.Errorf("walk with limits %v =\n %v\nwant\n %v", limits, got, want)
		}
	}
	if len(want) < 3 {
		return
	}
	first, l, err := list(ports.Page{Number: 1, Limit: 2})
	if err != nil || l.Next == nil || l.Next.ID != first[1] || l.Total != len(want) {
		t.Fatalf("page mode page 1 = %v, %+v, %v; want a next position at its last row and total %d", first, l, err, len(want))
	}
	second, _, _ := list(ports.Page{Number: 2, Limit: 2})
	after, _, _ := list(ports.Page{Number: 1, Limit: 2, After: l.Next})
	if !slices.Equal(second, after) {
		t.Errorf("page 2 = %v, but the page after page 1's next position = %v", second, after)
	}
	last, l, _ := list(ports.Page{Number: (len(want) + 1) / 2, Limit: 2})
	if l.Next != nil || len(last) == 0 {
		t.Errorf("last page (%v) has next position %+v, want none", last, l.Next)
	}
}

// testKeysetPaging walks every list by cursor, under each sort, with ties
// in the sort keys and ids that do not follow creation order.
func testKeysetPaging(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 50, user.RoleUser)
	buyer := NewUser(t, r, 51, user.RoleUser)
	root := NewCategory(t, r, "paging")
	sub := newChild(t, r, root, "paging-sub", 0)

	// Twelve ACTIVE products: three per minute (ties in createdAt), four
	// prices (ties in price), random (v4) ids; two that lists skip.
	type row struct {
		id      string
		price   int64
		created time.Time
		cat     string
		stock   int
	}
	var rows []row
	for i := range 12 {
		cat := root
		if i%2 == 1 {
			cat = sub
		}
		id := uuid.NewString()
		created := t0.Add(time.Duration(i/3) * time.Minute)
		p, err := product.New(product.NewParams{ID: id, Slug: "paging-" + id, Title: uzText("Paging " + id[:8]), Class: SeedClass(),
			Price: int64(100 * (1 + i%4)), Quantity: i % 3, CategoryID: cat.ID(), SellerID: seller.ID(), Publish: true}, created)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Products.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{id: id, price: p.Price(), created: created, cat: cat.ID(), stock: i % 3})
	}
	listed(t, r, root, seller, "Paging pending", 1, 100, product.StatusPending, 0)
	listed(t, r, sub, seller, "Paging archived", 1, 100, product.StatusArchived, 0)

	active := ports.ProductFilter{Statuses: []product.Status{product.StatusActive}}
	for _, tc := range []struct {
		name string
		f    ports.ProductFilter
		keep func(row) bool
	}{
		{"all active", active, func(row) bool { return true }},
		{"a sub-category", ports.ProductFilter{Statuses: active.Statuses, CategoryID: sub.ID()}, func(x row) bool { return x.cat == sub.ID() }},
		{"in stock", ports.ProductFilter{Statuses: active.Statuses, InStock: true}, func(x row) bool { return x.stock > 0 }},
	} {
		for _, s := range []ports.Sort{{Field: ports.SortCreatedAt, Desc: true}, {Field: ports.SortCreatedAt},
			{Field: ports.SortPrice}, {Field: ports.SortPrice, Desc: true}} {
			t.Run("products, "+tc.name+", sort "+s.Field+map[bool]string{true: " desc"}[s.Desc], func(t *testing.T) {
				var want []row
				for _, x := range rows {
					if tc.keep(x) {
						want = append(want, x)
					}
				}
				slices.SortFunc(want, func(a, b row) int {
					c := 0
					if s.Field == ports.SortPrice {
						c = int(a.price - b.price)
					}
					if c == 0 {
						c = a.created.Compare(b.created)
					}
					if c == 0 && a.id < b.id {
						c = -1
					} else if c == 0 {
						c = 1
					}
					if s.Desc {
						c = -c
					}
					return c
				})
				wantIDs := make([]string, len(want))
				for i, x := range want {
					wantIDs[i] = x.id
				}
				checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
					ps, l, err := r.Products.List(ctx, tc.f, s, p)
					out := make([]string, len(ps))
					for i, p := range ps {
						out[i] = p.ID()
					}
					return out, l, err
				}, wantIDs)
			})
		}
	}

	t.Run("categories, ties in position", func(t *testing.T) {
		// root and sub exist already (position 0); add four more, two of
		// them tied in position and name.
		for i, name := range []string{"b", "a", "a", "c"} {
			c, err := category.New(uuid.NewString(), uzText("paging "+name), "paging-cat-"+uuid.NewString()[:8], "", i%2, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Categories.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		all, _, err := r.Categories.List(ctx, ports.CategoryFilter{}, ports.Page{Number: 1, Limit: 100})
		if err != nil || len(all) != 6 {
			t.Fatalf("all categories = %d, %v; want 6", len(all), err)
		}
		want := make([]string, len(all))
		for i, c := range all {
			want[i] = c.ID()
		}
		checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
			cs, l, err := r.Categories.List(ctx, ports.CategoryFilter{}, p)
			out := make([]string, len(cs))
			for i, c := range cs {
				out[i] = c.ID()
			}
			return out, l, err
		}, want)
	})

	t.Run("orders, ties in createdAt and totalPrice", func(t *testing.T) {
		p := NewProduct(t, r, root, seller, "Paging orders", 1000, 1000)
		type orow struct {
			id      string
			total   int64
			created time.Time
		}
		var os []orow
		for i := range 9 {
			o, err := order.New(order.NewParams{ID: uuid.NewString(), Number: NewNumber(), ProductID: p.ID(), SellerID: seller.ID(),
				BuyerID: buyer.ID(), Quantity: 1 + i%3, UnitPrice: p.Price(), Currency: p.Currency()}, t0.Add(time.Duration(i/2)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Orders.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			os = append(os, orow{id: o.ID(), total: o.TotalPrice(), created: o.CreatedAt()})
		}
		for _, s := range []ports.Sort{{Field: ports.OrderSortCreatedAt, Desc: true}, {Field: ports.OrderSortTotalPrice},
			{Field: ports.OrderSortTotalPrice, Desc: true}, {Field: ports.OrderSortUpdatedAt}} {
			want := slices.Clone(os)
			slices.SortFunc(want, func(a, b orow) int {
				c := a.created.Compare(b.created)
				if s.Field == ports.OrderSortTotalPrice {
					c = int(a.total - b.total)
				}
				if c == 0 && a.id < b.id {
					c = -1
				} else if c == 0 {
					c = 1
				}
				if s.Desc {
					c = -c
				}
				return c
			})
			ids := make([]string, len(want))
			for i, o := range want {
				ids[i] = o.id
			}
			checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
				got, l, err := r.Orders.List(ctx, ports.OrderFilter{BuyerID: buyer.ID()}, p, s)
				out := make([]string, len(got))
				for i, o := range got {
					out[i] = o.ID()
				}
				return out, l, err
			}, ids)
		}
	})

	t.Run("auctions and bids", func(t *testing.T) {
		var want []string
		for i := range 5 {
			p := NewProduct(t, r, root, seller, "Paging auction "+string(rune('a'+i)), 1, 1000)
			// ends at 1h, 1h, 2h, 2h, 3h: ties in endsAt.
			a := NewAuction(t, r, p, 1000, time.Duration(1+i/2)*time.Hour)
			want = append(want, a.ID())
		}
		all, _, err := r.Auctions.List(ctx, ports.AuctionFilter{}, ports.Sort{Field: "endsAt"}, ports.Page{Number: 1, Limit: 100})
		if err != nil || len(all) != 5 {
			t.Fatalf("auctions = %d, %v", len(all), err)
		}
		slices.SortFunc(want, func(a, b string) int {
			ea, eb := endsAtOf(all, a), endsAtOf(all, b)
			if c := ea.Compare(eb); c != 0 {
				return c
			}
			if a < b {
				return -1
			}
			return 1
		})
		checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
			got, l, err := r.Auctions.List(ctx, ports.AuctionFilter{}, ports.Sort{Field: "endsAt"}, p)
			out := make([]string, len(got))
			for i, a := range got {
				out[i] = a.ID()
			}
			return out, l, err
		}, want)

		for i := range 7 {
			if err := placeBid(ctx, st, want[0], buyer.ID(), int64(1000+100*i), t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		bids, _, _ := r.Auctions.ListBids(ctx, want[0], ports.Page{Number: 1, Limit: 100})
		bidIDs := make([]string, len(bids))
		for i, b := range bids {
			bidIDs[i] = b.ID
			if i > 0 && b.Amount >= bids[i-1].Amount {
				t.Fatalf("bids not highest first: %+v", bids)
			}
		}
		if len(bidIDs) != 7 {
			t.Fatalf("bids = %d, want 7", len(bidIDs))
		}
		checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
			got, l, err := r.Auctions.ListBids(ctx, want[0], p)
			out := make([]string, len(got))
			for i, b := range got {
				out[i] = b.ID
			}
			return out, l, err
		}, bidIDs)
	})
}

// endsAtOf returns the endsAt of the auction id among as.
func endsAtOf(as []*auction.Auction, id string) time.Time {
	for _, a := range as {
		if a.ID() == id {
			return a.EndsAt()
		}
	}
	return time.Time{}
}

// testInboxPaging walks an inbox by cursor: newest (highest Seq) first,
// with ties in createdAt.
func testInboxPaging(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	u := NewUser(t, st.Repos(), 52, user.RoleUser)
	var want []string
	for i := range 8 {
		n := addNote(t, st, u, notification.OrderPlaced, t0.Add(time.Duration(i/3)*time.Second))
		want = append(want, n.ID())
	}
	slices.Reverse(want)
	checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
		got, l, err := st.Repos().Notifications.List(ctx, ports.NotificationFilter{UserID: u.ID()}, p)
		out := make([]string, len(got))
		for i, n := range got {
			out[i] = n.ID()
		}
		return out, l, err
	}, want)
}

// idsOf returns the ids of items.
func idsOf[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// newestFirst orders rows by createdAt, then id, both descending: the
// order of the users and the audit log.
func newestFirst(at func(i int) (time.Time, string)) func(a, b int) int {
	return func(a, b int) int {
		ta, ia := at(a)
		tb, ib := at(b)
		if c := tb.Compare(ta); c != 0 {
			return c
		}
		return strings.Compare(ib, ia)
	}
}

// testBackOfficePaging walks the users, the audit log and a reference
// list by cursor, each with ties in its sort key, random ids and a filter.
func testBackOfficePaging(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()

	t.Run("users, ties in createdAt", func(t *testing.T) {
		// Eleven users, three a second; every third a moderator.
		type urow struct {
			id      string
			created time.Time
			role    user.Role
		}
		var rows []urow
		for i := range 11 {
			role := user.RoleUser
			if i%3 == 0 {
				role = user.RoleModerator
			}
			u, err := user.New(uuid.NewString(), phone.MustParse(fmt.Sprintf("+99891%07d", i)), role, t0.Add(time.Duration(i/3)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Users.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, urow{u.ID(), u.CreatedAt(), role})
		}
		for _, f := range []ports.UserFilter{{}, {Role: user.RoleModerator}, {Status: user.StatusActive, Role: user.RoleUser}} {
			var want []urow
			for _, x := range rows {
				if f.Role == "" || x.role == f.Role {
					want = append(want, x)
				}
			}
			idx := make([]int, len(want))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, newestFirst(func(i int) (time.Time, string) { return want[i].created, want[i].id }))
			ids := make([]string, len(idx))
			for i, j := range idx {
				ids[i] = want[j].id
			}
			checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
				got, l, err := r.Users.List(ctx, f, p)
				return idsOf(got, (*user.User).ID), l, err
			}, ids)
		}
	})

	t.Run("audit log, ties in createdAt", func(t *testing.T) {
		target := uuid.NewString()
		var entries []audit.Entry
		for i := range 10 {
			e := audit.Entry{ID: uuid.NewString(), Actor: "cli", Action: []string{"user.role", "user.status"}[i%2],
				TargetType: audit.TargetUser, TargetID: uuid.NewString(), CreatedAt: t0.Add(time.Duration(i/4) * time.Second)}
			if i%3 == 0 {
				e.TargetID = target
			}
			entries = append(entries, e)
		}
		if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { return r.Audit.Add(ctx, entries...) }); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f    ports.AuditFilter
			keep func(audit.Entry) bool
		}{
			{ports.AuditFilter{}, func(audit.Entry) bool { return true }},
			{ports.AuditFilter{Action: "user.role"}, func(e audit.Entry) bool { return e.Action == "user.role" }},
			{ports.AuditFilter{TargetID: target}, func(e audit.Entry) bool { return e.TargetID == target }},
		} {
			var want []audit.Entry
			for _, e := range entries {
				if tc.keep(e) {
					want = append(want, e)
				}
			}
			idx := make([]int, len(want))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, newestFirst(func(i int) (time.Time, string) { return want[i].CreatedAt, want[i].ID }))
			ids := make([]string, len(idx))
			for i, j := range idx {
				ids[i] = want[j].ID
			}
			checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
				got, l, err := r.Audit.List(ctx, tc.f, p)
				return idsOf(got, func(e audit.Entry) string { return e.ID }), l, err
			}, ids)
		}
	})

	t.Run("reference list, ties in position", func(t *testing.T) {
		// The seeded conditions, and six more: four of them at one
		// position, with codes that order by their dashes.
		for i, code := range []string{"pg-b", "pg-a", "pg-a-b", "pg-a0", "pg-z", "pg-c"} {
			it, err := reference.New(reference.Fields{ID: uuid.NewString(), Kind: reference.Conditions, Code: code,
				Name: i18n.Rehydrate(map[i18n.Locale]string{i18n.English: code}), Position: 1 + i/4})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Reference.Create(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		all, _, err := r.Reference.List(ctx, reference.Conditions, "", ports.Page{Number: 1, Limit: 100})
		if err != nil || len(all) < 6 {
			t.Fatalf("conditions = %d, %v", len(all), err)
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b *reference.Item) int {
			if c := a.Position() - b.Position(); c != 0 {
				return c
			}
			if c := strings.Compare(a.Code(), b.Code()); c != 0 {
				return c
			}
			return strings.Compare(a.ID(), b.ID())
		})
		checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
			got, l, err := r.Reference.List(ctx, reference.Conditions, "", p)
			return idsOf(got, (*reference.Item).ID), l, err
		}, idsOf(want, (*reference.Item).ID))
		districts, _, _ := r.Reference.List(ctx, reference.Districts, reference.TashkentCityID, ports.Page{Number: 1, Limit: 100})
		checkPaging(t, func(p ports.Page) ([]string, ports.Listed, error) {
			got, l, err := r.Reference.List(ctx, reference.Districts, reference.TashkentCityID, p)
			return idsOf(got, (*reference.Item).ID), l, err
		}, idsOf(districts, (*reference.Item).ID))
	})
}
