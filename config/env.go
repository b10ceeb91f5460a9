package config

import (
	"fmt"
	"regexp"
	"strings"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${NAME} and ${NAME:-default} in s, the default being
// used when NAME is unset or empty; "$$" is a literal "$", and any other "$"
// is kept as written. refs reports whether s referred to the environment.
func expandEnv(s string, lookup func(string) (string, bool)) (out string, refs bool, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", refs, fmt.Errorf("unterminated ${ in %q (write $$ for a literal $)", s)
			}
			expr := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(expr, ":-")
			if !envName.MatchString(name) {
				return "", refs, fmt.Errorf("invalid environment variable name %q in ${%s}", name, expr)
			}
			if strings.Contains(def, "${") {
				return "", refs, fmt.Errorf("nested ${...} in a default is not supported")
			}
			v, ok := lookup(name)
			switch {
			case ok && (v != "" || !hasDef):
				b.WriteString(v)
			case hasDef:
				b.WriteString(def)
			default:
				return "", refs, fmt.Errorf("environment variable %s is not set (write ${%s:-default} to make it optional)", name, name)
			}
			refs = true
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), refs, nil
}

// secretWords are key words that mark a value as a credential.
var secretWords = []string{"token", "secret", "secrets", "password", "passwd", "key", "apikey", "credential", "credentials"}

// looksSecret reports whether a key names a credential: access_token,
// client_secret, webhook_secret, password, api_key, but not match_keys.
func looksSecret(key string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(key), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		for _, s := range secretWords {
			if w == s || (len(s) > 3 && strings.HasSuffix(w, s)) {
				return true
			}
		}
	}
	return false
}

// dsnPassword matches a MySQL DSN with a password: user:password@...
var dsnPassword = regexp.MustCompile(`^[^:@/]*:[^@]+@`)
