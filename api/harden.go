package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/internal/logx"
)

// SecurityHeaders keeps admin pages from being sniffed into another type,
// framed by another site (clickjacking the dashboard's buttons) or named in
// the Referer of a link followed from them.
func SecurityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	c.Next()
}

// SameOrigin refuses a state-changing request (anything but GET, HEAD and
// OPTIONS) that a browser reports as coming from another site: Basic auth
// credentials ride along with any request the browser makes, so without
// this a page elsewhere could delete the queue's tasks. The request must
// carry an Origin naming this host or Sec-Fetch-Site: same-origin (every
// current browser sends at least one on POST and DELETE); a request with
// neither is refused too, as a plain form post from an old browser would be.
func SameOrigin(c *gin.Context) {
	if !sameOrigin(c.Request) {
		refuseCrossSite(c)
		return
	}
	c.Next()
}

func refuseCrossSite(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "cross-site request refused: send it from the dashboard's own origin"})
}

// sameOrigin is SameOrigin's test: true for safe methods.
func sameOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin")
	if site == "" && origin == "" {
		return false
	}
	if site != "" && site != "same-origin" {
		return false
	}
	if origin != "" {
		if u, err := url.Parse(origin); err != nil || u.Host == "" || u.Host != r.Host {
			return false
		}
	}
	return true
}

// Recovery answers 500 to a handler's panic and logs it without the
// request's headers or path: gin's own recovery dumps them, and they hold
// Authorization and the webhook tokens some vendors put in the URL
// (/webhooks/<instance>/<token>). The route pattern says where it happened.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // a sentinel re-panicked on purpose by net/http
				panic(rec)
			}
			logx.Logger(c.Request.Context(), log).Error("panic serving request",
				"method", c.Request.Method, "route", c.FullPath(), "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
		}()
		c.Next()
	}
}
