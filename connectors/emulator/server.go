package emulator

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
)

// Server is the part of an emulator that is not about its vendor: a local
// server started once and closed safely twice (tests and demos both close
// in cleanups that may overlap), the injected faults, and a log of the
// calls for tests that assert on the traffic. Emulators embed it, so
// Throttle, FailNext, Requests and RequestLog become theirs.
type Server struct {
	Faults

	mu        sync.Mutex
	srv       *httptest.Server
	closeOnce sync.Once

	logMu sync.Mutex
	log   []string
}

// Start serves h on a local httptest server and returns its base URL; later
// calls return the same URL.
func (s *Server) Start(h http.Handler) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		s.srv = httptest.NewServer(s.withLostAnswers(h))
	}
	return s.srv.URL
}

// URL is the base URL Start returned, "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return ""
	}
	return s.srv.URL
}

// Close stops the server; safe before Start and when called twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		srv := s.srv
		s.mu.Unlock()
		if srv != nil {
			srv.Close()
		}
	})
}

// Log appends one line to the request log.
func (s *Server) Log(line string) {
	s.logMu.Lock()
	s.log = append(s.log, line)
	s.logMu.Unlock()
}

// LogRequest logs r as "METHOD /path?query".
func (s *Server) LogRequest(r *http.Request) { s.Log(r.Method + " " + r.URL.RequestURI()) }

// RequestLog returns the lines logged so far.
func (s *Server) RequestLog() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.log)
}
