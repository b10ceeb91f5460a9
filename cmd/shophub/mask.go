package main

import (
	"log/slog"
	"strings"

	"github.com/shophub/shophub/mappings"
)

// maskAttr keeps personal data and secrets out of logs: emails and phones
// are masked wherever they appear as attribute values, and attributes named
// like secrets are dropped to "***".
func maskAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindString {
		return a
	}
	k := strings.ToLower(a.Key)
	switch {
	case strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "password"):
		return slog.String(a.Key, "***")
	case strings.Contains(k, "email") || strings.Contains(k, "phone"):
		return slog.String(a.Key, mappings.MaskValue(k, a.Value.String()))
	}
	if s := a.Value.String(); strings.Contains(s, "@") {
		return slog.String(a.Key, maskEmails(s))
	}
	return a
}

// maskEmails masks every email-looking word in a message.
func maskEmails(s string) string {
	words := strings.Fields(s)
	changed := false
	for i, w := range words {
		if at := strings.IndexByte(w, '@'); at > 0 && strings.Contains(w[at:], ".") {
			words[i] = mappings.MaskEmail(strings.Trim(w, `"',;:()<>[]{}`))
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}
