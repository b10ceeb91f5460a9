package emulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServer(t *testing.T) {
	var unstarted Server
	unstarted.Close()
	var s Server
	if s.URL() != "" {
		t.Fatalf("URL before Start = %q", s.URL())
	}
	url := s.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.LogRequest(r)
		switch f := s.Take(); {
		case f.Throttled:
			w.Header().Set("Retry-After", Seconds(f.RetryAfter))
			w.WriteHeader(http.StatusTooManyRequests)
		case f.Status != 0:
			w.WriteHeader(f.Status)
		}
	}))
	if again := s.Start(http.NotFoundHandler()); again != url || s.URL() != url {
		t.Fatalf("second Start = %q, URL = %q, want %q", again, s.URL(), url)
	}
	s.Throttle(1, 1500*time.Millisecond)
	s.FailNext(1, http.StatusBadGateway)
	var got []string
	for _, path := range []string{"/a?x=1", "/b", "/c"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		got = append(got, resp.Status+" "+resp.Header.Get("Retry-After"))
	}
	want := []string{"429 Too Many Requests 1.5", "502 Bad Gateway ", "200 OK "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET /a?x=1", "GET /b", "GET /c"}, s.RequestLog()); diff != "" {
		t.Errorf("request log (-want +got):\n%s", diff)
	}
	s.CountRequest()
	if s.Next() != (Fault{}) || s.Requests() != 4 {
		t.Errorf("Requests = %d after 3 taken and 1 counted, want 4", s.Requests())
	}
	s.Close()
	s.Close()
}
