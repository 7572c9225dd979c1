package http

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// headerForwardedFor lists the addresses a request passed through, each
// proxy appending the address of the peer it heard from.
const headerForwardedFor = "X-Forwarded-For"

// clientIP returns the address of the client that sent the request. Without
// trusted proxies, or when the TCP peer is not one, that is the peer.
// Otherwise X-Forwarded-For is read from the right, skipping trusted
// proxies: the first address that is not one was appended by a proxy we
// trust, so the client cannot forge it; everything to its left can be.
// When every listed address is trusted, the leftmost is the client.
func clientIP(c *fiber.Ctx, trusted []netip.Prefix) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	client := peer
	values := c.Request().Header.PeekAll(headerForwardedFor)
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(string(values[i]), ",")
		for j := len(hops) - 1; j >= 0; j-- {
			addr, ok := parseHop(hops[j])
			if !ok {
				// Proxies write addresses; a token that is not one was
				// written by the client, so the last trusted hop is as far
				// as we can believe.
				return client
			}
			client = addr
			if !isTrusted(addr, trusted) {
				return client
			}
		}
	}
	return client
}

// parseHop parses one X-Forwarded-For entry: an address, possibly with a
// port ("203.0.113.7:5123", "[2001:db8::1]:443") as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limitKey is the key per-IP limits count a client under: its IPv4
// address, or the /64 of its IPv6 address, since one subscriber usually
// holds a whole /64 and could otherwise rotate through it.
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
