package auth_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
)

var (
	t0      = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	testKey = []byte("0123456789abcdef0123456789abcdef")
	p1      = phone.MustParse("+998901234567")
	p2      = phone.MustParse("+998901234568")
)

func hashOf(code string) []byte { return auth.HashCode(testKey, p1, auth.Code(code)) }

// issued returns a challenge of p1 whose current code "123456" was sent at t0.
func issued(t *testing.T) *auth.Challenge {
	t.Helper()
	c := auth.NewChallenge(p1)
	if err := c.Issue(hashOf("123456"), t0); err != nil {
		t.Fatalf("Issue on a new challenge = %v, want nil", err)
	}
	return c
}

func retryAfter(t *testing.T, err error) int {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *domain.Error", err)
	}
	return e.RetryAfterSeconds
}

func TestChallengeIssueCooldown(t *testing.T) {
	tests := []struct {
		name      string
		after     time.Duration
		wantErr   error
		wantRetry int
	}{
		{name: "at once", after: 0, wantErr: auth.ErrResendTooSoon, wantRetry: 60},
		{name: "after 1s", after: time.Second, wantErr: auth.ErrResendTooSoon, wantRetry: 59},
		{name: "after 59.5s rounds up", after: 59*time.Second + 500*time.Millisecond, wantErr: auth.ErrResendTooSoon, wantRetry: 1},
		{name: "after 59.999s", after: auth.ResendCooldown - time.Millisecond, wantErr: auth.ErrResendTooSoon, wantRetry: 1},
		{name: "after exactly 60s", after: auth.ResendCooldown},
		{name: "after 2 minutes", after: 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := issued(t)
			err := c.Issue(hashOf("654321"), t0.Add(tc.after))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Issue after %v = %v, want %v", tc.after, err, tc.wantErr)
			}
			if tc.wantErr == nil {
				if got := len(c.Sends()); got != 2 {
					t.Errorf("len(Sends()) = %d, want 2", got)
				}
				return
			}
			if got := retryAfter(t, err); got != tc.wantRetry {
				t.Errorf("RetryAfterSeconds = %d, want %d", got, tc.wantRetry)
			}
			if domain.KindOf(err) != domain.KindRateLimited {
				t.Errorf("KindOf(err) = %v, want %v", domain.KindOf(err), domain.KindRateLimited)
			}
			// Refused: the old code still works and nothing was recorded.
			if got := len(c.Sends()); got != 1 {
				t.Errorf("len(Sends()) after a refusal = %d, want 1", got)
			}
			if !bytes.Equal(c.CodeHash(), hashOf("123456")) {
				t.Errorf("CodeHash changed after a refused Issue")
			}
		})
	}
	// The sentinel itself must not be modified by the copies with
	// RetryAfterSeconds.
	if auth.ErrResendTooSoon.RetryAfterSeconds != 0 {
		t.Errorf("ErrResendTooSoon.RetryAfterSeconds = %d, want 0", auth.ErrResendTooSoon.RetryAfterSeconds)
	}
}

func TestChallengeIssueHourlyLimit(t *testing.T) {
	step := 10 * time.Minute
	c := auth.NewChallenge(p1)
	for i := 0; i < auth.MaxSendsPerHour; i++ {
		if err := c.Issue(hashOf("111111"), t0.Add(time.Duration(i)*step)); err != nil {
			t.Fatalf("send %d: Issue = %v, want nil", i+1, err)
		}
	}
	// Sends at 0, 10, 20, 30, 40 min. At 50 min all five are in the window.
	at := t0.Add(50 * time.Minute)
	err := c.Issue(hashOf("222222"), at)
	if !errors.Is(err, auth.ErrTooManySends) {
		t.Fatalf("6th Issue at +50m = %v, want %v", err, auth.ErrTooManySends)
	}
	if got, want := retryAfter(t, err), 600; got != want {
		t.Errorf("RetryAfterSeconds = %d, want %d", got, want)
	}
	if got := len(c.Sends()); got != auth.MaxSendsPerHour {
		t.Errorf("len(Sends()) after refusal = %d, want %d", got, auth.MaxSendsPerHour)
	}
	// Just before the first send leaves the window: still refused.
	if err := c.Issue(hashOf("222222"), t0.Add(time.Hour-time.Second)); !errors.Is(err, auth.ErrTooManySends) {
		t.Fatalf("Issue at +59m59s = %v, want %v", err, auth.ErrTooManySends)
	}
	// Exactly one hour after the first send, it has left the rolling window.
	if err := c.Issue(hashOf("222222"), t0.Add(time.Hour)); err != nil {
		t.Fatalf("Issue at +60m = %v, want nil", err)
	}
	want := []time.Time{t0.Add(10 * time.Minute), t0.Add(20 * time.Minute), t0.Add(30 * time.Minute), t0.Add(40 * time.Minute), t0.Add(time.Hour)}
	got := c.Sends()
	if len(got) != len(want) {
		t.Fatalf("Sends() = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("Sends()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestChallengeIssueReplacesCode(t *testing.T) {
	c := issued(t)
	if err := c.Verify(hashOf("000000"), t0.Add(time.Second)); !errors.Is(err, auth.ErrInvalidCode) {
		t.Fatalf("Verify(wrong) = %v, want %v", err, auth.ErrInvalidCode)
	}
	if got := c.Attempts(); got != 1 {
		t.Fatalf("Attempts() = %d, want 1", got)
	}
	now := t0.Add(2 * time.Minute)
	if err := c.Issue(hashOf("654321"), now); err != nil {
		t.Fatalf("second Issue = %v, want nil", err)
	}
	if got := c.Attempts(); got != 0 {
		t.Errorf("Attempts() after a new code = %d, want 0", got)
	}
	if got, want := c.ExpiresAt(), now.Add(auth.CodeTTL); !got.Equal(want) {
		t.Errorf("ExpiresAt() = %v, want %v", got, want)
	}
	if c.Consumed() {
		t.Errorf("Consumed() after Issue = true, want false")
	}
	if err := c.Verify(hashOf("123456"), now); !errors.Is(err, auth.ErrInvalidCode) {
		t.Errorf("Verify(old code) = %v, want %v", err, auth.ErrInvalidCode)
	}
	if err := c.Verify(hashOf("654321"), now); err != nil {
		t.Errorf("Verify(new code) = %v, want nil", err)
	}
}

func TestChallengeIssueAfterBurnedCode(t *testing.T) {
	c := issued(t)
	for i := 0; i < auth.MaxAttempts; i++ {
		_ = c.Verify(nil, t0)
	}
	if !c.Consumed() {
		t.Fatalf("Consumed() after %d wrong tries = false, want true", auth.MaxAttempts)
	}
	now := t0.Add(auth.ResendCooldown)
	if err := c.Issue(hashOf("654321"), now); err != nil {
		t.Fatalf("Issue after a burned code = %v, want nil", err)
	}
	if err := c.Verify(hashOf("654321"), now); err != nil {
		t.Errorf("Verify(new code) = %v, want nil", err)
	}
}

func TestChallengeVerify(t *testing.T) {
	right := hashOf("123456")
	wrong := hashOf("123457")
	tests := []struct {
		name string
		// wrongTries wrong codes are presented first, at t0.
		wrongTries int
		hash       []byte
		at         time.Time
		wantErr    error
		wantTries  int
		wantBurned bool
	}{
		{name: "right code at once", hash: right, at: t0, wantBurned: true},
		{name: "right code just before expiry", hash: right, at: t0.Add(auth.CodeTTL - time.Nanosecond), wantBurned: true},
		{name: "right code at expiry", hash: right, at: t0.Add(auth.CodeTTL), wantErr: auth.ErrInvalidCode},
		{name: "right code after expiry", hash: right, at: t0.Add(time.Hour), wantErr: auth.ErrInvalidCode},
		{name: "wrong code", hash: wrong, at: t0, wantErr: auth.ErrInvalidCode, wantTries: 1},
		{name: "nil hash counts as wrong", hash: nil, at: t0, wantErr: auth.ErrInvalidCode, wantTries: 1},
		{name: "code of another phone", hash: auth.HashCode(testKey, p2, "123456"), at: t0, wantErr: auth.ErrInvalidCode, wantTries: 1},
		{name: "right code after 4 wrong", wrongTries: 4, hash: right, at: t0, wantTries: 4, wantBurned: true},
		{name: "right code after 5 wrong", wrongTries: 5, hash: right, at: t0, wantErr: auth.ErrInvalidCode, wantTries: 5, wantBurned: true},
		{name: "4 wrong then a 5th burns", wrongTries: 4, hash: wrong, at: t0, wantErr: auth.ErrInvalidCode, wantTries: 5, wantBurned: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := issued(t)
			for i := 0; i < tc.wrongTries; i++ {
				if err := c.Verify(wrong, t0); !errors.Is(err, auth.ErrInvalidCode) {
					t.Fatalf("wrong try %d: Verify = %v, want %v", i+1, err, auth.ErrInvalidCode)
				}
			}
			err := c.Verify(tc.hash, tc.at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify at +%v = %v, want %v", tc.at.Sub(t0), err, tc.wantErr)
			}
			if got := c.Attempts(); got != tc.wantTries {
				t.Errorf("Attempts() = %d, want %d", got, tc.wantTries)
			}
			if got := c.Consumed(); got != tc.wantBurned {
				t.Errorf("Consumed() = %v, want %v", got, tc.wantBurned)
			}
		})
	}
}

func TestChallengeVerifyWorksOnce(t *testing.T) {
	c := issued(t)
	if err := c.Verify(hashOf("123456"), t0); err != nil {
		t.Fatalf("first Verify = %v, want nil", err)
	}
	if err := c.Verify(hashOf("123456"), t0); !errors.Is(err, auth.ErrInvalidCode) {
		t.Errorf("second Verify = %v, want %v", err, auth.ErrInvalidCode)
	}
}

func TestChallengeVerifyNeverIssued(t *testing.T) {
	c := auth.NewChallenge(p1)
	for _, h := range [][]byte{nil, {}, hashOf("123456")} {
		if err := c.Verify(h, t0); !errors.Is(err, auth.ErrInvalidCode) {
			t.Errorf("Verify(%x) on a never-issued challenge = %v, want %v", h, err, auth.ErrInvalidCode)
		}
	}
	// A stored challenge without a code, not marked consumed, must still
	// refuse a nil hash (which would equal the nil code hash).
	r := auth.RehydrateChallenge(p1, nil, t0.Add(time.Hour), 0, false, nil)
	if err := r.Verify(nil, t0); !errors.Is(err, auth.ErrInvalidCode) {
		t.Errorf("Verify(nil) on a challenge without code = %v, want %v", err, auth.ErrInvalidCode)
	}
	if c.Phone() != p1 {
		t.Errorf("Phone() = %v, want %v", c.Phone(), p1)
	}
	if c.CodeHash() != nil || c.Sends() != nil {
		t.Errorf("new challenge has CodeHash %x and Sends %v, want nil", c.CodeHash(), c.Sends())
	}
}

func TestRehydrateChallenge(t *testing.T) {
	local := time.FixedZone("UZT", 5*3600)
	exp := t0.Add(3 * time.Minute).In(local)
	sends := []time.Time{t0}
	c := auth.RehydrateChallenge(p1, hashOf("123456"), exp, 2, false, sends)
	if got := c.ExpiresAt(); !got.Equal(exp) || got.Location() != time.UTC {
		t.Errorf("ExpiresAt() = %v, want %v in UTC", got, exp)
	}
	if c.Attempts() != 2 || c.Consumed() {
		t.Errorf("Attempts(), Consumed() = %d, %v, want 2, false", c.Attempts(), c.Consumed())
	}
	// Three more wrong tries burn it: attempts are carried over.
	for i := 0; i < 3; i++ {
		_ = c.Verify(nil, t0)
	}
	if !c.Consumed() {
		t.Errorf("Consumed() after 2 stored + 3 wrong tries = false, want true")
	}
}

func TestNewCode(t *testing.T) {
	const draws = 2000
	var seen [auth.CodeLength][10]bool
	for i := 0; i < draws; i++ {
		c, err := auth.NewCode()
		if err != nil {
			t.Fatalf("NewCode() error = %v", err)
		}
		if !auth.ValidCodeFormat(string(c)) {
			t.Fatalf("NewCode() = %q, want 6 ASCII digits", c)
		}
		for pos := 0; pos < auth.CodeLength; pos++ {
			seen[pos][c[pos]-'0'] = true
		}
	}
	// With 2000 uniform draws the chance that a given digit never shows at
	// a given position is 0.9^2000 < 1e-91: this cannot flake, but it fails
	// for a constant, a truncated or a badly padded code.
	for pos := range seen {
		for d, ok := range seen[pos] {
			if !ok {
				t.Errorf("digit %d never appeared at position %d in %d codes", d, pos, draws)
			}
		}
	}
}

func TestValidCodeFormat(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"123456", true},
		{"000000", true},
		{"999999", true},
		{"", false},
		{"12345", false},
		{"1234567", false},
		{"12345a", false},
		{" 12345", false},
		{"12 456", false},
		{"-12345", false},
		{"+12345", false},
		{"１２３４５６", false},
		{"١٢٣٤٥٦", false},
		{"12345/", false},
		{"12345:", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := auth.ValidCodeFormat(tc.in); got != tc.want {
				t.Errorf("ValidCodeFormat(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestHashCode(t *testing.T) {
	base := auth.HashCode(testKey, p1, "123456")
	if len(base) != 32 {
		t.Fatalf("len(HashCode(...)) = %d, want 32", len(base))
	}
	if again := auth.HashCode(testKey, p1, "123456"); !bytes.Equal(again, base) {
		t.Errorf("HashCode is not deterministic: %x then %x", base, again)
	}
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	tests := []struct {
		name string
		got  []byte
	}{
		{name: "other phone", got: auth.HashCode(testKey, p2, "123456")},
		{name: "other key", got: auth.HashCode(otherKey, p1, "123456")},
		{name: "other code", got: auth.HashCode(testKey, p1, "123457")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.got, base) {
				t.Errorf("HashCode with %s = %x, want it to differ from %x", tc.name, tc.got, base)
			}
		})
	}
}
