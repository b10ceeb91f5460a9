package metrics

import (
	"io"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/shophub/shophub/internal/buildinfo"
)

// Every process exposes which build it runs.
func TestBuildInfo(t *testing.T) {
	rec := httptest.NewRecorder()
	New().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	bi := buildinfo.Read()
	want := regexp.MustCompile(`(?m)^shophub_build_info\{goversion="` + regexp.QuoteMeta(bi.GoVersion) + `",revision="[0-9a-f]*(-dirty)?",vcs_time="[^"]*",version="` + regexp.QuoteMeta(bi.Version) + `"\} 1$`)
	if !want.Match(body) {
		t.Errorf("metrics lack %s:\n%s", want, regexp.MustCompile(`(?m)^shophub_build.*$`).Find(body))
	}
}
