// Package api serves the admin REST API: health, readiness and the
// customer 360° view.
package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/mappings"
	"github.com/shophub/shophub/sync"
)

// API holds the admin endpoints' dependencies.
type API struct {
	Store *hub.Store
	Redis redis.UniversalClient
	// Token is the admin bearer token; empty disables /api.
	Token string
	// Draining turns /readyz red during shutdown.
	Draining func() bool
	// DeadLetters serves /api/deadletters; nil answers 501.
	DeadLetters *sync.DeadLetters
	// Queues, when set, is the queue dashboard (asynqmon), mounted at
	// /ui/queues behind the admin token.
	Queues http.Handler
	// Metrics, when set, serves Prometheus metrics at /metrics. It holds
	// counts, never personal data, so scrapers need no token.
	Metrics http.Handler
	// Eraser serves DELETE /api/customers/:id; nil answers 501.
	Eraser Eraser
	// Console, when set, is the operator console, mounted at /ui/ beside
	// the queue dashboard (api/console).
	Console interface{ Register(gin.IRouter) }
	// Checks are further readiness checks by name (a worker's queue
	// server); an error makes /readyz answer 503.
	Checks map[string]func(context.Context) error
}

// Register mounts every route on one listener: health with readiness
// detail and the admin routes.
func (a *API) Register(r gin.IRouter) {
	a.RegisterHealth(r, true)
	a.RegisterAdmin(r)
}

// RegisterHealth mounts /healthz and /readyz. Without detail, /readyz
// answers only {"status": ...}: enough for a load balancer on a public
// port, without database or Redis error text.
func (a *API) RegisterHealth(r gin.IRouter, detail bool) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	if detail {
		r.GET("/readyz", SecurityHeaders, a.ready)
		return
	}
	r.GET("/readyz", func(c *gin.Context) {
		if status, _ := a.readiness(c.Request.Context()); status != http.StatusOK {
			c.JSON(status, gin.H{"status": "unavailable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
}

// RegisterAdmin mounts the admin API, the queue dashboard and /metrics,
// every response with SecurityHeaders.
func (a *API) RegisterAdmin(r gin.IRouter) {
	r = r.Group("", SecurityHeaders)
	g := r.Group("/api", a.auth)
	g.GET("/customers", a.listCustomers)
	g.GET("/customers/:id", a.getCustomer)
	g.GET("/segments", a.segments) // insights.go
	g.GET("/deadletters", a.listDeadLetters)
	g.POST("/deadletters/replay", a.replayDeadLetters)
	g.POST("/deadletters/:id/replay", a.replayDeadLetter)
	a.registerPrivacy(g) // privacy.go
	if a.Queues != nil {
		// SameOrigin before auth: a browser holding the Basic credentials
		// sends them with a forged cross-site form too.
		ui := gin.WrapH(a.Queues)
		r.GET("/ui/queues", a.browserAuth, ui)
		r.Any("/ui/queues/*any", SameOrigin, a.browserAuth, ui)
	}
	if a.Console != nil {
		a.Console.Register(r)
	}
	a.RegisterMetrics(r)
}

// RegisterMetrics mounts /metrics when a.Metrics is set.
func (a *API) RegisterMetrics(r gin.IRouter) {
	if a.Metrics != nil {
		r.GET("/metrics", gin.WrapH(a.Metrics))
	}
}

func (a *API) ready(c *gin.Context) {
	status, checks := a.readiness(c.Request.Context())
	c.JSON(status, checks)
}

// readiness checks the database, Redis and a.Checks; the map holds "ok" or
// the error text per check, plus the connectors' states as detail.
func (a *API) readiness(ctx context.Context) (int, gin.H) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if a.Draining != nil && a.Draining() {
		checks["shutdown"] = "draining"
		ok = false
	}
	if err := a.Store.Ping(ctx); err != nil {
		checks["database"] = err.Error()
		ok = false
	} else {
		checks["database"] = "ok"
	}
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"] = err.Error()
		ok = false
	} else {
		checks["redis"] = "ok"
		// Detail only: one vendor being down must not take this process
		// out of a load balancer, or no vendor's webhooks would arrive.
		if cs := connectorStates(ctx, a.Redis); len(cs) > 0 {
			checks["connectors"] = cs
		}
	}
	for name, check := range a.Checks {
		if err := check(ctx); err != nil {
			checks[name] = err.Error()
			ok = false
		} else {
			checks[name] = "ok"
		}
	}
	if !ok {
		return http.StatusServiceUnavailable, checks
	}
	return http.StatusOK, checks
}

// auth requires the admin token, as a bearer token or as the password of
// HTTP Basic auth (any user name), compared in constant time.
func (a *API) auth(c *gin.Context) { a.authorize(c, `Bearer realm="shophub"`) }

// browserAuth guards the dashboard: browsers send no bearer header, so a
// missing token challenges for Basic auth and the browser asks for it.
func (a *API) browserAuth(c *gin.Context) { a.authorize(c, `Basic realm="shophub", charset="UTF-8"`) }

func (a *API) authorize(c *gin.Context, challenge string) {
	if a.Token == "" {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "admin API disabled: set server.admin_token"})
		return
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	basic := false
	if !ok {
		_, got, ok = c.Request.BasicAuth()
		basic = ok
	}
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
		c.Header("WWW-Authenticate", challenge)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "missing or wrong admin token"})
		return
	}
	// A browser that logged in to the dashboard sends its Basic
	// credentials with any page's form post too (a bearer header it never
	// adds by itself): a state-changing request on Basic auth must come
	// from shophub's own origin.
	if basic && !sameOrigin(c.Request) {
		refuseCrossSite(c)
		return
	}
	c.Next()
}

const requestIDHeader = "X-Request-Id"

// RequestID is middleware giving every request an id: the caller's
// X-Request-ID when it is a clean id (set by a proxy in front), else a new
// one. It is echoed in the response and carried in the request's context,
// so the request's log lines and the tasks it enqueues carry it.
//
// The header is named in its canonical form (X-Request-Id, the same
// header to HTTP): net/http allocates a canonical copy of any other
// spelling on every lookup and set.
func RequestID(c *gin.Context) {
	id := logx.CleanID(c.Request.Header.Get(requestIDHeader))
	if id == "" {
		id = logx.NewID()
	}
	c.Writer.Header()[requestIDHeader] = []string{id}
	c.Request = c.Request.WithContext(logx.WithRequestID(c.Request.Context(), id))
	c.Next()
}

// CustomerSummary is one row of a customer list.
type CustomerSummary struct {
	ID        uint64 `json:"id"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Version   int64  `json:"version"`
	UpdatedAt string `json:"updated_at"`
}

func (a *API) listCustomers(c *gin.Context) {
	if c.Query("segment") != "" || c.Query("profitability") != "" || c.Query("due_before") != "" {
		a.listByInsights(c) // insights.go
		return
	}
	q := a.Store.DB().WithContext(c.Request.Context()).Model(&hub.Customer{})
	if email := c.Query("email"); email != "" {
		q = q.Where("email = ?", mappings.NormalizeEmail(email))
	}
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "50"))
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if after, err := strconv.ParseUint(c.DefaultQuery("after", "0"), 10, 64); err == nil && after > 0 {
		q = q.Where("id > ?", after)
	}
	var rows []hub.Customer
	if err := q.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	out := make([]CustomerSummary, 0, len(rows))
	for _, r := range rows {
		s := CustomerSummary{ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Version: r.Version, UpdatedAt: r.UpdatedAt.UTC().Format(time.RFC3339)}
		if r.Email != nil {
			s.Email = *r.Email
		}
		out = append(out, s)
	}
	c.JSON(http.StatusOK, gin.H{"customers": out})
}

func (a *API) getCustomer(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "customer id must be a number"})
		return
	}
	v, err := a.Store.View(c.Request.Context(), id, 50)
	if errors.Is(err, hub.ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "no customer " + c.Param("id")})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, v)
}
