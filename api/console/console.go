// Package console is the operator console at /ui/: server-rendered pages
// for the people who run shophub — customers and their 360° view, sync
// health per connector, dead letters and quarantine, privacy requests.
// Everything it shows comes from the hub, Redis and asynq; its actions are
// the admin API's (replay, export, erase) behind an admin-token login.
//
// Pages are html/template with embedded CSS and one small script: every
// page works without JavaScript, the script only adds confirmations and
// live refresh of a result.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/forwarded"
	shsync "github.com/shophub/shophub/sync"
	"gorm.io/gorm"
)

// Eraser erases a person from the hub and every touchpoint (sync.Handlers).
type Eraser interface {
	EraseCustomer(ctx context.Context, customerID uint64, req hub.EraseRequest) (*hub.PrivacyRequest, error)
}

// QuarantineReplayer re-runs quarantined records (sync.Handlers).
type QuarantineReplayer interface {
	ReplayQuarantine(ctx context.Context, connector string) (replayed, failed int, err error)
}

// Connector is what the console knows of a configured instance: its name
// and type, and where its admin lives for deep links.
type Connector struct {
	Name, Type string
	// Settings are the instance's settings (base URLs; secrets are never
	// read from them).
	Settings map[string]any
	// Polls: the instance has a poll interval.
	Polls bool
}

// Console serves /ui/.
type Console struct {
	Store       *hub.Store
	Redis       redis.UniversalClient
	Token       string
	DeadLetters *shsync.DeadLetters
	Eraser      Eraser
	Quarantine  QuarantineReplayer
	Connectors  []Connector
	// QueuesURL is the queue dashboard's path ("" when not mounted).
	QueuesURL string
	// Region is the hub's default region for reading phone numbers typed
	// without a country code.
	Region string
	Log    *slog.Logger
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// TrustedProxies (server.trusted_proxies) may say the browser reached
	// us over https (X-Forwarded-Proto); nobody else's header is believed.
	TrustedProxies forwarded.Proxies

	pages map[string]*page
}

const (
	cookieName = "shophub_console"
	sessionKey = "shophub:console:session:"
	ctxCSRF    = "console.csrf"
)

// Register mounts the console on r under /ui/. The caller has applied
// the security headers; the console tightens the content policy.
func (c *Console) Register(r gin.IRouter) {
	c.mustParse()
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	g := r.Group("/ui", policy)
	g.GET("/", func(ctx *gin.Context) { ctx.Redirect(http.StatusSeeOther, "/ui/customers") })
	g.GET("/assets/*file", assets)
	g.GET("/login", c.loginPage)
	g.POST("/login", c.login)
	a := g.Group("", c.session)
	a.POST("/logout", c.logout)
	a.GET("/customers", c.customers)
	a.GET("/customers/:id", c.customer)
	a.POST("/customers/:id/export", c.export)
	a.POST("/customers/:id/erase", c.erase)
	a.GET("/health", c.health)
	a.GET("/deadletters", c.deadLetters)
	a.GET("/deadletters/:id", c.deadLetter)
	a.GET("/deadletters/:id/state", c.deadLetterState)
	a.POST("/deadletters/:id/replay", c.replayOne)
	a.POST("/deadletters/replay", c.replayAll)
	a.GET("/quarantine/:id", c.quarantined)
	a.POST("/quarantine/replay", c.replayQuarantine)
	a.GET("/privacy", c.privacy)
	a.GET("/privacy/:id", c.privacyRequest)
}

// policy allows only the console's own scripts, styles and forms.
func policy(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// secure: the cookie gets the Secure flag when the browser reached us
// over TLS, directly or as a trusted proxy in front of us says. Only a
// trusted proxy's word counts: a flag any client could ask for would let
// a caller decide how our cookie is sent.
func (c *Console) secure(ctx *gin.Context) bool {
	return c.TrustedProxies.Scheme(ctx) == "https"
}

type session struct {
	CSRF string
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sessionID is the Redis key of a cookie value: the value itself never
// sits in Redis, so reading Redis does not give a login.
func sessionID(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return sessionKey + hex.EncodeToString(h[:])
}

func (c *Console) loginPage(ctx *gin.Context) {
	if c.current(ctx) != nil {
		ctx.Redirect(http.StatusSeeOther, "/ui/customers")
		return
	}
	c.render(ctx, http.StatusOK, "login", map[string]any{"Next": safeNext(ctx.Query("next"))})
}

func (c *Console) login(ctx *gin.Context) {
	next := safeNext(ctx.PostForm("next"))
	if !sameOrigin(ctx.Request) {
		c.render(ctx, http.StatusForbidden, "login", map[string]any{"Error": "This login did not come from the console's own page.", "Next": next})
		return
	}
	if c.Token == "" {
		c.render(ctx, http.StatusUnauthorized, "login", map[string]any{"Error": "The console is disabled: set server.admin_token.", "Next": next})
		return
	}
	// Every attempt counts against the client's allowance before the
	// token is looked at, so a guesser past it learns nothing more.
	limited, wait, err := c.loginLimited(ctx)
	if err != nil {
		c.Log.Warn("console login: rate limit unavailable", "err", err)
		c.render(ctx, http.StatusServiceUnavailable, "login", map[string]any{"Error": "Logins are counted in Redis, which did not answer.", "Next": next})
		return
	}
	if limited {
		c.Log.Warn("console login refused: too many attempts", "remote", ctx.ClientIP(), "retry_after", wait)
		ctx.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		c.render(ctx, http.StatusTooManyRequests, "login", map[string]any{"Error": "Too many login attempts from your address; wait a minute.", "Next": next})
		return
	}
	got := ctx.PostForm("token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.Token)) != 1 {
		c.Log.Warn("console login refused", "remote", ctx.ClientIP())
		c.render(ctx, http.StatusUnauthorized, "login", map[string]any{"Error": "Wrong admin token.", "Next": next})
		return
	}
	// The right token clears the client's count: an operator's typos do
	// not add up over a day.
	_ = redis_rate.NewLimiter(c.Redis).Reset(ctx.Request.Context(), loginKey+ctx.ClientIP())
	cookie := randomHex(32)
	if err := c.Redis.Set(ctx.Request.Context(), sessionID(cookie), randomHex(32), c.SessionTTL).Err(); err != nil {
		c.render(ctx, http.StatusServiceUnavailable, "login", map[string]any{"Error": "Sessions are kept in Redis, which did not answer.", "Next": next})
		return
	}
	http.SetCookie(ctx.Writer, &http.Cookie{Name: cookieName, Value: cookie, Path: "/ui/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure(ctx), MaxAge: int(c.SessionTTL.Seconds())})
	ctx.Redirect(http.StatusSeeOther, next)
}

// loginLimit is how many login attempts one client address may make: 5
// a minute, as a burst or spread (GCRA), then 429 with Retry-After until
// the next is due. Counted in Redis, so every serve process shares it.
var loginLimit = redis_rate.PerMinute(5)

const loginKey = "shophub:console:login:"

// loginLimited counts one login attempt of the request's client address
// (its connection's, or a trusted proxy's X-Forwarded-For) and reports
// whether it is over the limit, and then how long until the next one is
// allowed.
func (c *Console) loginLimited(ctx *gin.Context) (bool, time.Duration, error) {
	res, err := redis_rate.NewLimiter(c.Redis).Allow(ctx.Request.Context(), loginKey+ctx.ClientIP(), loginLimit)
	if err != nil {
		return false, 0, err
	}
	return res.Allowed == 0, res.RetryAfter, nil
}

func (c *Console) logout(ctx *gin.Context) {
	if ck, err := ctx.Cookie(cookieName); err == nil {
		c.Redis.Del(ctx.Request.Context(), sessionID(ck))
	}
	http.SetCookie(ctx.Writer, &http.Cookie{Name: cookieName, Value: "", Path: "/ui/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure(ctx), MaxAge: -1})
	ctx.Redirect(http.StatusSeeOther, "/ui/login")
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/ui/customers"
	}
	return next
}

// current is the request's session, nil when there is none.
func (c *Console) current(ctx *gin.Context) *session {
	ck, err := ctx.Cookie(cookieName)
	if err != nil || ck == "" {
		return nil
	}
	csrf, err := c.Redis.Get(ctx.Request.Context(), sessionID(ck)).Result()
	if err != nil {
		return nil
	}
	return &session{CSRF: csrf}
}

// session requires a login; a state-changing request must also carry the
// session's CSRF token (form field "csrf" or header X-CSRF-Token) and come
// from the console's own origin.
func (c *Console) session(ctx *gin.Context) {
	s := c.current(ctx)
	if s == nil {
		if ctx.Request.Method == http.MethodGet {
			ctx.Redirect(http.StatusSeeOther, "/ui/login?next="+url.QueryEscape(ctx.Request.URL.RequestURI()))
			ctx.Abort()
			return
		}
		c.fail(ctx, http.StatusUnauthorized, errors.New("not logged in (or the session ended): log in again"))
		return
	}
	ctx.Set(ctxCSRF, s.CSRF)
	if ctx.Request.Method != http.MethodGet && ctx.Request.Method != http.MethodHead {
		got := ctx.PostForm("csrf")
		if got == "" {
			got = ctx.GetHeader("X-CSRF-Token")
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			c.fail(ctx, http.StatusForbidden, errors.New("this action carried no valid CSRF token: reload the page and try again"))
			return
		}
		if !sameOrigin(ctx.Request) {
			c.fail(ctx, http.StatusForbidden, errors.New("cross-site request refused"))
			return
		}
	}
	ctx.Next()
}

// sameOrigin: a POST must name this host in Origin or say same-origin in
// Sec-Fetch-Site (a request with neither, such as curl's, passes: it
// carries no browser's cookie by accident).
func sameOrigin(r *http.Request) bool {
	site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin")
	if site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if origin != "" && origin != "null" {
		if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// fail renders an error page.
func (c *Console) fail(ctx *gin.Context, status int, err error) {
	c.render(ctx, status, "error", map[string]any{"Status": status, "Message": err.Error()})
	ctx.Abort()
}

// idParam is the route's numeric :id; anything else is answered 400,
// naming what it is the id of.
func (c *Console) idParam(ctx *gin.Context, of string) (uint64, bool) {
	id, err := strconv.ParseUint(ctx.Param("id"), 10, 64)
	if err != nil {
		c.fail(ctx, http.StatusBadRequest, fmt.Errorf("a %s id is a number", of))
		return 0, false
	}
	return id, true
}

// loaded reports whether loading what a page shows went well (err nil);
// otherwise it answers 404 with missing when the hub has no such thing
// (hub.ErrNotFound, or gorm's for a plain row), else 500.
func (c *Console) loaded(ctx *gin.Context, err error, missing string) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, hub.ErrNotFound), errors.Is(err, gorm.ErrRecordNotFound):
		c.fail(ctx, http.StatusNotFound, errors.New(missing))
	default:
		c.fail(ctx, http.StatusInternalServerError, err)
	}
	return false
}
