package auth_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/auth"
)

var (
	tokA = auth.RefreshToken("token-a").Hash()
	tokB = auth.RefreshToken("token-b").Hash()
	tokC = auth.RefreshToken("token-c").Hash()
)

func TestSessionRefresh(t *testing.T) {
	retired := t0.Add(time.Minute)
	tests := []struct {
		name        string
		revoked     bool
		presented   []byte
		retiredAt   *time.Time
		at          time.Time
		wantErr     error
		wantRotated bool
		wantRevoked bool
	}{
		{name: "current token rotates", presented: tokA, at: t0.Add(time.Minute), wantRotated: true},
		{name: "current token just before expiry", presented: tokA, at: t0.Add(auth.SessionTTL - time.Second), wantRotated: true},
		{name: "current token at expiry", presented: tokA, at: t0.Add(auth.SessionTTL), wantErr: auth.ErrSessionEnded},
		{name: "current token of a revoked session", revoked: true, presented: tokA, at: t0.Add(time.Minute), wantErr: auth.ErrSessionEnded, wantRevoked: true},
		{name: "old token at once", presented: tokC, retiredAt: &retired, at: retired, wantErr: auth.ErrRefreshReused},
		{name: "old token within 10s", presented: tokC, retiredAt: &retired, at: retired.Add(9 * time.Second), wantErr: auth.ErrRefreshReused},
		{name: "old token at exactly 10s", presented: tokC, retiredAt: &retired, at: retired.Add(auth.RefreshReuseGap), wantErr: auth.ErrRefreshReused},
		{name: "old token after 10s revokes", presented: tokC, retiredAt: &retired, at: retired.Add(auth.RefreshReuseGap + time.Millisecond), wantErr: auth.ErrRefreshReused, wantRevoked: true},
		{name: "old token a day later revokes", presented: tokC, retiredAt: &retired, at: retired.Add(24 * time.Hour), wantErr: auth.ErrRefreshReused, wantRevoked: true},
		{name: "unknown token without retiredAt", presented: tokC, at: t0.Add(time.Hour), wantErr: auth.ErrRefreshReused},
		{name: "nil token", presented: nil, at: t0.Add(time.Minute), wantErr: auth.ErrRefreshReused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := auth.NewSession("s1", "u1", tokA, t0)
			if tc.revoked {
				s.Revoke(t0.Add(time.Second))
			}
			err := s.Refresh(tc.presented, tc.retiredAt, tokB, tc.at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Refresh at +%v = %v, want %v", tc.at.Sub(t0), err, tc.wantErr)
			}
			wantHash, wantRotatedAt := tokA, t0
			if tc.wantRotated {
				wantHash, wantRotatedAt = tokB, tc.at
			}
			if !bytes.Equal(s.RefreshHash(), wantHash) {
				t.Errorf("RefreshHash() = %x, want %x", s.RefreshHash(), wantHash)
			}
			if !s.RotatedAt().Equal(wantRotatedAt) {
				t.Errorf("RotatedAt() = %v, want %v", s.RotatedAt(), wantRotatedAt)
			}
			if got := s.RevokedAt() != nil; got != tc.wantRevoked {
				t.Errorf("revoked = %v, want %v", got, tc.wantRevoked)
			}
		})
	}
}

func TestSessionRefreshTwice(t *testing.T) {
	s := auth.NewSession("s1", "u1", tokA, t0)
	if err := s.Refresh(tokA, nil, tokB, t0.Add(time.Minute)); err != nil {
		t.Fatalf("first Refresh = %v, want nil", err)
	}
	// The rotated-out token A is now refused; B is current.
	retired := s.RotatedAt()
	if err := s.Refresh(tokA, &retired, tokC, t0.Add(time.Minute+time.Second)); !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("Refresh(A) after rotation = %v, want %v", err, auth.ErrRefreshReused)
	}
	if err := s.Refresh(tokB, nil, tokC, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("Refresh(B) = %v, want nil", err)
	}
	if !bytes.Equal(s.RefreshHash(), tokC) {
		t.Errorf("RefreshHash() = %x, want %x", s.RefreshHash(), tokC)
	}
}

func TestSessionRevoke(t *testing.T) {
	s := auth.NewSession("s1", "u1", tokA, t0)
	first := t0.Add(time.Minute)
	s.Revoke(first)
	s.Revoke(first.Add(time.Hour))
	got := s.RevokedAt()
	if got == nil || !got.Equal(first) {
		t.Fatalf("RevokedAt() = %v, want %v", got, first)
	}
	if got.Location() != time.UTC {
		t.Errorf("RevokedAt().Location() = %v, want UTC", got.Location())
	}
}

func TestSessionActive(t *testing.T) {
	tests := []struct {
		name    string
		revoke  *time.Time
		at      time.Time
		wantErr error
	}{
		{name: "fresh", at: t0},
		{name: "just before expiry", at: t0.Add(auth.SessionTTL - time.Nanosecond)},
		{name: "at expiry", at: t0.Add(auth.SessionTTL), wantErr: auth.ErrSessionEnded},
		{name: "after expiry", at: t0.Add(auth.SessionTTL + time.Hour), wantErr: auth.ErrSessionEnded},
		{name: "revoked", revoke: &t0, at: t0.Add(time.Second), wantErr: auth.ErrSessionEnded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := auth.NewSession("s1", "u1", tokA, t0)
			if tc.revoke != nil {
				s.Revoke(*tc.revoke)
			}
			if err := s.Active(tc.at); !errors.Is(err, tc.wantErr) {
				t.Errorf("Active(+%v) = %v, want %v", tc.at.Sub(t0), err, tc.wantErr)
			}
		})
	}
}

func TestNewSession(t *testing.T) {
	local := time.FixedZone("UZT", 5*3600)
	s := auth.NewSession("s1", "u1", tokA, t0.In(local))
	if s.ID() != "s1" || s.UserID() != "u1" {
		t.Errorf("ID(), UserID() = %q, %q, want %q, %q", s.ID(), s.UserID(), "s1", "u1")
	}
	if !s.CreatedAt().Equal(t0) || s.CreatedAt().Location() != time.UTC {
		t.Errorf("CreatedAt() = %v, want %v in UTC", s.CreatedAt(), t0)
	}
	if want := t0.Add(auth.SessionTTL); !s.ExpiresAt().Equal(want) {
		t.Errorf("ExpiresAt() = %v, want %v", s.ExpiresAt(), want)
	}
	if s.RevokedAt() != nil {
		t.Errorf("RevokedAt() = %v, want nil", s.RevokedAt())
	}
}

func TestRehydrateSession(t *testing.T) {
	rev := t0.Add(time.Hour)
	s := auth.RehydrateSession("s1", "u1", tokB, t0.Add(time.Minute), t0, t0.Add(auth.SessionTTL), &rev)
	if !bytes.Equal(s.RefreshHash(), tokB) || !s.RotatedAt().Equal(t0.Add(time.Minute)) {
		t.Errorf("RefreshHash(), RotatedAt() = %x, %v, want %x, %v", s.RefreshHash(), s.RotatedAt(), tokB, t0.Add(time.Minute))
	}
	if err := s.Active(t0.Add(2 * time.Hour)); !errors.Is(err, auth.ErrSessionEnded) {
		t.Errorf("Active() of a rehydrated revoked session = %v, want %v", err, auth.ErrSessionEnded)
	}
}

func TestRefreshToken(t *testing.T) {
	a, err := auth.NewRefreshToken()
	if err != nil {
		t.Fatalf("NewRefreshToken() error = %v", err)
	}
	b, err := auth.NewRefreshToken()
	if err != nil {
		t.Fatalf("NewRefreshToken() error = %v", err)
	}
	// 32 bytes in unpadded base64url are 43 characters.
	if len(a) != 43 {
		t.Errorf("len(NewRefreshToken()) = %d, want 43", len(a))
	}
	if a == b {
		t.Errorf("two NewRefreshToken() calls both returned %q", a)
	}
	if bytes.Equal(a.Hash(), b.Hash()) {
		t.Errorf("different tokens have equal hashes %x", a.Hash())
	}
	if !bytes.Equal(a.Hash(), a.Hash()) || len(a.Hash()) != 32 {
		t.Errorf("Hash() = %x, want 32 stable bytes", a.Hash())
	}
}
