// Package forwarded decides whose forwarding headers shophub believes: a
// request's X-Forwarded-Proto (and -Host) say how the caller reached us
// only when the connection comes from a proxy named in
// server.trusted_proxies. Anybody else could claim https, or any host, and
// the webhooks' registration answer and the console's cookies act on it.
// gin's SetTrustedProxies governs only the client address (X-Forwarded-For)
// and does not say whether the peer is trusted, so the list is kept here too.
package forwarded

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
)

// Proxies are the trusted proxies' addresses and ranges; none (nil)
// believes no forwarding header.
type Proxies []netip.Prefix

// Parse reads server.trusted_proxies, IP addresses or CIDRs (as gin's
// SetTrustedProxies takes them).
func Parse(list []string) (Proxies, error) {
	out := make(Proxies, 0, len(list))
	for _, s := range list {
		if !strings.Contains(s, "/") {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			ip = ip.Unmap()
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Trusts reports whether the request's connection comes from one of the
// proxies.
func (p Proxies) Trusts(c *gin.Context) bool {
	ip, err := netip.ParseAddr(c.RemoteIP())
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, pr := range p {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// Scheme is how the caller reached us, "http" or "https": a trusted
// proxy's X-Forwarded-Proto when it names one of the two, else whether the
// connection itself is TLS.
func (p Proxies) Scheme(c *gin.Context) string {
	if p.Trusts(c) {
		switch h := strings.ToLower(c.GetHeader("X-Forwarded-Proto")); h {
		case "http", "https":
			return h
		}
	}
	if c.Request.TLS != nil {
		return "https"
	}
	return "http"
}

// Host is the host the caller asked for: a trusted proxy's
// X-Forwarded-Host, else the request's Host.
func (p Proxies) Host(c *gin.Context) string {
	if h := c.GetHeader("X-Forwarded-Host"); h != "" && p.Trusts(c) {
		return h
	}
	return c.Request.Host
}
