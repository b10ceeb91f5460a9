// Package logx carries correlation ids (a webhook's request id, a task's id)
// through a context, so that every log line of one piece of work can be
// found together: a webhook's request id travels on in the ingest tasks it
// enqueued, and each task's lines carry its own id beside it.
package logx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

type attrsKey struct{}

// With returns ctx carrying args (slog key-value pairs) as log attributes,
// after those ctx already carried.
func With(ctx context.Context, args ...any) context.Context {
	if len(args) == 0 {
		return ctx
	}
	prev := Args(ctx)
	all := make([]any, 0, len(prev)+len(args))
	all = append(append(all, prev...), args...)
	return context.WithValue(ctx, attrsKey{}, all)
}

// Args returns the attributes ctx carries, as key-value pairs.
func Args(ctx context.Context) []any {
	a, _ := ctx.Value(attrsKey{}).([]any)
	return a
}

// Logger returns l with ctx's attributes attached.
func Logger(ctx context.Context, l *slog.Logger) *slog.Logger {
	if a := Args(ctx); len(a) > 0 {
		return l.With(a...)
	}
	return l
}

type requestKey struct{}

// WithRequestID returns ctx carrying id as the request id, also as a log
// attribute.
func WithRequestID(ctx context.Context, id string) context.Context {
	return With(context.WithValue(ctx, requestKey{}, id), "request_id", id)
}

// RequestID is ctx's request id, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestKey{}).(string)
	return id
}

// NewID returns a random 16-hex-digit id.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CleanID returns id when it is safe to log and echo as a correlation id
// (1–64 characters of [A-Za-z0-9._-]), else "": a caller-supplied
// X-Request-ID must not inject log fields or headers.
func CleanID(id string) string {
	if len(id) == 0 || len(id) > 64 {
		return ""
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return ""
		}
	}
	return id
}
