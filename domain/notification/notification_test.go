package notification

import (
	"strings"
	"testing"
	"time"
)

const (
	uid = "0190d4a8-7c3e-7a00-8000-000000000001"
	nid = "0190d4a8-7c3e-7a00-8000-000000000002"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestCataloguesCoverEveryTypeInEveryLocale(t *testing.T) {
	for _, loc := range Locales {
		for _, typ := range Types {
			m, ok := catalogues[loc][typ]
			if !ok || m.Title == "" || m.Body == "" {
				t.Errorf("catalogue %s lacks %s", loc, typ)
			}
		}
		if len(catalogues[loc]) != len(Types) {
			t.Errorf("catalogue %s has %d entries, want %d", loc, len(catalogues[loc]), len(Types))
		}
	}
}

func TestRender(t *testing.T) {
	n, err := New(nid, uid, ProductRejected, map[string]string{"productId": uid, "reason": "blurry photo"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ locale, title, reason string }{
		{"en", "Listing rejected", "blurry photo"},
		{"ru", "Объявление отклонено", "blurry photo"},
		{"uz", "E'lon rad etildi", "blurry photo"},
		{"de", "E'lon rad etildi", "blurry photo"},
		{"RU", "Объявление отклонено", "blurry photo"},
	} {
		m := n.Render(tc.locale)
		if m.Title != tc.title || !strings.HasSuffix(m.Body, tc.reason) {
			t.Errorf("Render(%q) = %+v, want title %q and body ending in %q", tc.locale, m, tc.title, tc.reason)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, id, user string
		typ            Type
	}{
		{"bad id", "x", uid, OrderPlaced},
		{"bad user", nid, "", OrderPlaced},
		{"unknown type", nid, uid, "ORDER_LOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.id, tc.user, tc.typ, nil, t0); err != ErrInvalid {
				t.Errorf("New = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestMarkReadKeepsTheFirstTime(t *testing.T) {
	n, _ := New(nid, uid, OrderPaid, nil, t0)
	n.MarkRead(t0.Add(time.Minute))
	n.MarkRead(t0.Add(time.Hour))
	if got := n.ReadAt(); got == nil || !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("ReadAt = %v, want %v", got, t0.Add(time.Minute))
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0.5, 4 * time.Second},
		{1, 0, 750 * time.Millisecond},
		{1, 0.999998, 1249999 * time.Microsecond},
		{10, 0.5, 512 * time.Second},
		{11, 0.5, MaxBackoff},
		{40, 0.99, MaxBackoff},
	} {
		got := Backoff(tc.attempts, tc.jitter)
		if got.Round(time.Microsecond) != tc.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.attempts, tc.jitter, got, tc.want)
		}
	}
}

func TestOutcome(t *testing.T) {
	d := Delivery{CreatedAt: t0, Attempts: 2}
	if r := Outcome(d, t0, false, false, "", 0.5); r.State != Sent || r.Attempts != 3 {
		t.Errorf("success: %+v, want sent after 3 attempts", r)
	}
	if r := Outcome(d, t0, true, false, "400", 0.5); r.State != GaveUp {
		t.Errorf("final failure: %+v, want given up", r)
	}
	if r := Outcome(d, t0.Add(time.Minute), true, true, "503", 0.5); r.State != Pending || !r.NextAt.Equal(t0.Add(time.Minute+4*time.Second)) {
		t.Errorf("retryable failure: %+v, want pending until +4s", r)
	}
	if r := Outcome(d, t0.Add(GiveUpAfter-time.Second), true, true, "503", 0.5); r.State != GaveUp {
		t.Errorf("retryable failure near 24 h: %+v, want given up", r)
	}
}
