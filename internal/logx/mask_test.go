package logx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shophub/shophub/internal/logx"
)

// A vendor's 422 body as Shopify sends it for a rejected customer write.
const vendorBody = `{"errors":{"email":["has already been taken"]},"customer":{"id":207119551,"first_name":"Annabel","last_name":"Quist",` +
	`"email":"ann.quist@example.com","phone":"+4917012345678","addresses":[{"address1":"Lindenweg 7","city":"Kassel","zip":"34117","phone":"0561 7654321"}]}}`

// secrets are what no log line may contain.
var secrets = []string{"ann.quist@example.com", "nn.quist", "Annabel", "Quist", "Lindenweg", "Kassel", "34117",
	"4917012345678", "7654321", "1234567", "s3cr3t", "555-625-1199", "625-1199", "jo@example.org"}

type person struct{ email string }

func (p person) String() string { return "person " + p.email }

type valuer struct{}

func (valuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", "ann.quist@example.com"), slog.Any("err", errors.New("call +49 170 1234567")))
}

type record struct {
	Email string `json:"email"`
	Note  string `json:"note"`
	Tags  []string
}

func TestMaskingHandlerMasksEveryKind(t *testing.T) {
	vendorErr := fmt.Errorf("push customer 42: %w", fmt.Errorf("shopify: status 422: %s", vendorBody))
	cases := []struct {
		name string
		log  func(l *slog.Logger)
		// keep must survive masking: ids, statuses, vendor messages.
		keep []string
	}{
		{"email in a string", func(l *slog.Logger) { l.Info("x", "detail", "sent to ann.quist@example.com today") }, []string{"a***@example.com", "today"}},
		{"email in the message", func(l *slog.Logger) { l.Info("pushed ann.quist@example.com") }, []string{"pushed a***@example.com"}},
		{"email and phone in an error", func(l *slog.Logger) {
			l.Warn("x", "err", fmt.Errorf("lookup: %w", errors.New("no customer ann.quist@example.com / +49 170 1234567")))
		}, []string{"lookup: no customer", "***67"}},
		{"phone in free text, national and US forms", func(l *slog.Logger) {
			l.Info("x", "note", "call 0561 7654321 or 555-625-1199 about order 450789469 at 2026-12-01T15:07:23Z")
		}, []string{"order 450789469", "2026-12-01T15:07:23Z"}},
		{"vendor body in a wrapped error", func(l *slog.Logger) { l.Error("push failed", "err", vendorErr, "customer_id", 42) },
			[]string{"has already been taken", "207119551", "status 422", `"customer_id":42`}},
		{"nested group", func(l *slog.Logger) {
			l.Info("x", slog.Group("customer", slog.String("email", "ann.quist@example.com"),
				slog.Group("address", slog.String("street", "Lindenweg 7"), slog.String("phone", "0561 7654321"), slog.Int("n", 3))))
		}, []string{`"n":3`}},
		{"fmt.Stringer", func(l *slog.Logger) { l.Info("x", "who", person{"ann.quist@example.com"}) }, []string{"person a***@example.com"}},
		{"LogValuer", func(l *slog.Logger) { l.Info("x", "who", valuer{}) }, []string{"call ***67"}},
		{"map and slice", func(l *slog.Logger) {
			l.Info("x", "doc", map[string]any{"first_name": "Annabel", "tel": "+4917012345678", "emails": []string{"jo@example.org"}, "id": 7})
		}, []string{`"id":7`}},
		{"struct", func(l *slog.Logger) {
			l.Info("x", "rec", record{Email: "ann.quist@example.com", Note: "fon 0561 7654321"})
		}, nil},
		{"bytes", func(l *slog.Logger) { l.Info("x", "body", []byte(vendorBody)) }, []string{"has already been taken"}},
		{"attrs attached with With", func(l *slog.Logger) {
			l.With("email", "ann.quist@example.com").WithGroup("g").With("err", vendorErr).Info("x")
		}, nil},
		{"secrets", func(l *slog.Logger) { l.Info("x", "access_token", "s3cr3t", "webhook_secret", errors.New("s3cr3t")) }, []string{`"access_token":"***"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"json", "text"} {
				var buf bytes.Buffer
				var h slog.Handler = slog.NewJSONHandler(&buf, nil)
				if format == "text" {
					h = slog.NewTextHandler(&buf, nil)
				}
				tc.log(slog.New(logx.NewMaskingHandler(h)))
				out := buf.String()
				if out == "" {
					t.Fatalf("%s: nothing logged", format)
				}
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s output holds %q:\n%s", format, s, out)
					}
				}
				if format == "json" {
					for _, s := range tc.keep {
						if !strings.Contains(out, s) {
							t.Errorf("json output lost %q:\n%s", s, out)
						}
					}
				}
			}
		})
	}
}

func TestMaskTextLeavesNonPhonesAlone(t *testing.T) {
	for _, s := range []string{
		"customer 5623461234 not found",
		"version 1.22.3",
		"total 1234.50 EUR",
		"at 2026-12-01 15:07:23",
		"retry in 30s",
		"/tmp/TestQuarantineReplay2615201801/001/shopify.yaml:20: field email",
	} {
		if got := logx.MaskText(s); got != s {
			t.Errorf("MaskText(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestMaskingHandlerKeepsLevelAndContext(t *testing.T) {
	var buf bytes.Buffer
	h := logx.NewMaskingHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("info enabled under a warn handler")
	}
	logx.Logger(With(context.Background()), slog.New(h)).Warn("w")
	if !strings.Contains(buf.String(), `"request_id":"r1"`) {
		t.Errorf("context attrs lost: %s", buf.String())
	}
}

func With(ctx context.Context) context.Context { return logx.WithRequestID(ctx, "r1") }

// Addresses with letters outside ASCII are addresses too (the canonical
// email check takes them): masked like any other, never cut mid-letter.
func TestMaskTextMasksInternationalEmails(t *testing.T) {
	for in, want := range map[string]string{
		"email user@exämple.de invalid":        "email u***@exämple.de invalid",
		"email jörg.müller@example.de invalid": "email j***@example.de invalid",
		"from Ölaf@beispiel.de":                "from Ö***@beispiel.de",
	} {
		if got := logx.MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}
