package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/api"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// The dashboard is opened in a browser, which sends no bearer header: it
// must challenge for Basic auth and accept the admin token as password.
func TestDashboardAuth(t *testing.T) {
	st := hubtest.SQLite(t)
	rdb, _ := redistest.Client(t)
	dash := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("dashboard")) })
	e := serve(t, &api.API{Store: st, Redis: rdb, Token: "s3cret", Queues: dash})

	cases := []struct {
		name, path  string
		auth        func(*http.Request)
		want        int
		wantChallng string
	}{
		{"browser without credentials is challenged", "/ui/queues", func(*http.Request) {}, http.StatusUnauthorized, "Basic"},
		{"basic with the token", "/ui/queues/", func(r *http.Request) { r.SetBasicAuth("admin", "s3cret") }, http.StatusOK, ""},
		{"basic, any user name", "/ui/queues", func(r *http.Request) { r.SetBasicAuth("", "s3cret") }, http.StatusOK, ""},
		{"basic with a wrong token", "/ui/queues", func(r *http.Request) { r.SetBasicAuth("admin", "s3cre") }, http.StatusUnauthorized, "Basic"},
		{"bearer still works", "/ui/queues", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, http.StatusOK, ""},
		{"api accepts basic too", "/api/customers", func(r *http.Request) { r.SetBasicAuth("x", "s3cret") }, http.StatusOK, ""},
		{"api challenges for bearer", "/api/customers", func(*http.Request) {}, http.StatusUnauthorized, "Bearer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			c.auth(req)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != c.want {
				t.Fatalf("GET %s: %d %s, want %d", c.path, w.Code, w.Body, c.want)
			}
			if got := w.Header().Get("WWW-Authenticate"); c.wantChallng != "" && (len(got) < len(c.wantChallng) || got[:len(c.wantChallng)] != c.wantChallng) {
				t.Errorf("challenge %q, want %s", got, c.wantChallng)
			}
		})
	}
}

// The browser that logged in to the dashboard sends its Basic credentials
// with a cross-site form post too: on Basic auth, a state-changing API
// call must come from shophub's own origin; a bearer call (scripts, the
// CLI) needs no Origin, since no browser adds that header by itself.
func TestAPICrossSite(t *testing.T) {
	st := hubtest.SQLite(t)
	rdb, _ := redistest.Client(t)
	e := serve(t, &api.API{Store: st, Redis: rdb, Token: "s3cret"})
	basic := func(r *http.Request) { r.SetBasicAuth("", "s3cret") }
	for _, c := range []struct {
		name    string
		method  string
		set     func(*http.Request)
		refused bool
	}{
		{"basic form post from another site", http.MethodPost, func(r *http.Request) { basic(r); r.Header.Set("Origin", "https://evil.example") }, true},
		{"basic post, no origin", http.MethodPost, basic, true},
		{"basic post from own origin", http.MethodPost, func(r *http.Request) { basic(r); r.Header.Set("Origin", "http://example.com") }, false},
		{"basic get from anywhere", http.MethodGet, func(r *http.Request) { basic(r); r.Header.Set("Sec-Fetch-Site", "cross-site") }, false},
		{"bearer post, no origin", http.MethodPost, func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "/api/deadletters/replay?connector=shop", nil) // Host: example.com
			c.set(req)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if (w.Code == http.StatusForbidden) != c.refused {
				t.Fatalf("%s: %d %s, refused want %v", c.method, w.Code, w.Body, c.refused)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(api.RequestID)
	var seen string
	e.GET("/x", func(c *gin.Context) { seen = c.Writer.Header().Get("X-Request-ID") })

	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"none sent: a new one", "", false},
		{"a proxy's id is kept", "edge-7f3a.1_b", true},
		{"header injection is replaced", "a\r\nX-Evil: 1", false},
		{"log field injection is replaced", `a" level=ERROR`, false},
		{"too long is replaced", string(make([]byte, 65)), false},
	}
	ids := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if c.sent != "" {
				req.Header["X-Request-Id"] = []string{c.sent}
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			got := w.Header().Get("X-Request-ID")
			if got == "" || got != seen {
				t.Fatalf("response id %q, handler saw %q", got, seen)
			}
			if c.keep != (got == c.sent) {
				t.Errorf("sent %q, got %q (keep %v)", c.sent, got, c.keep)
			}
			if ids[got] {
				t.Errorf("id %q handed out twice", got)
			}
			ids[got] = true
		})
	}
}
