package odoo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shophub/shophub/connectors"
)

// transport calls one model method with named arguments, as JSON-2 takes
// them; the jsonrpc transport translates to execute_kw's positional form.
type transport interface {
	call(ctx context.Context, model, method string, kw map[string]any, out any) error
}

// Error is what Odoo answered: its exception class and message (from the
// JSON-2 error body or the JSON-RPC error's data), wrapping the HTTP error
// when there was one.
type Error struct {
	Model, Method string
	Status        int
	Name          string
	Message       string
	Err           error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("odoo: %s/%s: %s: %s", e.Model, e.Method, e.Name, e.Message)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is classifies Odoo's exceptions: a missing record is not found; access,
// validation and user errors are permanent (a retry sends the same data).
func (e *Error) Is(target error) bool {
	switch target {
	case connectors.ErrNotFound:
		return strings.HasSuffix(e.Name, ".MissingError")
	case connectors.ErrPermanent:
		for _, s := range []string{".MissingError", ".AccessError", ".AccessDenied", ".ValidationError", ".UserError",
			"ValueError", "TypeError", ".NotFound", ".BadRequest", ".UnprocessableEntity"} {
			if strings.HasSuffix(e.Name, s) {
				return true
			}
		}
	}
	return false
}

// callContext marks every call but create as safe to repeat in place: Odoo
// takes reads and writes as POST too, but only a repeated create makes a
// second partner (emails are not unique in Odoo).
func callContext(ctx context.Context, method string) context.Context {
	if method == "create" {
		return ctx
	}
	return connectors.Idempotent(ctx)
}

// json2 is the JSON-2 API of Odoo 19+.
type json2 struct {
	http *connectors.HTTPClient
}

func (j *json2) call(ctx context.Context, model, method string, kw map[string]any, out any) error {
	if kw == nil {
		kw = map[string]any{}
	}
	var raw json.RawMessage
	_, err := j.http.Do(callContext(ctx, method), "POST", "/json/2/"+model+"/"+method, kw, &raw)
	if err != nil {
		var herr *connectors.HTTPError
		if errors.As(err, &herr) {
			var body struct {
				Name    string `json:"name"`
				Message string `json:"message"`
			}
			if json.Unmarshal([]byte(herr.Body), &body) == nil && body.Name != "" {
				return &Error{Model: model, Method: method, Status: herr.Status, Name: body.Name, Message: body.Message, Err: err}
			}
		}
		return fmt.Errorf("odoo: %s/%s: %w", model, method, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("odoo: %s/%s: decode answer: %w", model, method, err)
	}
	return nil
}

// jsonRPC is the legacy /jsonrpc endpoint: common.authenticate once for the
// uid, then object.execute_kw per call. Odoo answers errors with HTTP 200
// and an error object whose data carries the exception's name and message.
type jsonRPC struct {
	http           *connectors.HTTPClient
	db, login, key string
	mu             sync.Mutex
	uid            int64
	refused        error
	seq            atomic.Int64
}

// positional lists, per method, the names of execute_kw's positional
// arguments; the rest go as keyword arguments.
var positional = map[string][]string{
	"search_read": {"domain"}, "search": {"domain"}, "search_count": {"domain"},
	"read": {"ids"}, "create": {"vals_list"}, "write": {"ids", "vals"}, "unlink": {"ids"},
}

func (j *jsonRPC) rpc(ctx context.Context, what, service, method string, args []any, out any) error {
	req := map[string]any{"jsonrpc": "2.0", "method": "call", "id": j.seq.Add(1),
		"params": map[string]any{"service": service, "method": method, "args": args}}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    struct {
				Name    string `json:"name"`
				Message string `json:"message"`
			} `json:"data"`
		} `json:"error"`
	}
	if _, err := j.http.Do(ctx, "POST", "/jsonrpc", req, &resp); err != nil {
		return fmt.Errorf("odoo: %s: %w", what, err)
	}
	if resp.Error != nil {
		m, meth, _ := strings.Cut(what, "/")
		name, msg := resp.Error.Data.Name, resp.Error.Data.Message
		if name == "" {
			name, msg = "odoo.Error", resp.Error.Message
		}
		return &Error{Model: m, Method: meth, Name: name, Message: msg}
	}
	if out != nil {
		if err := json.Unmarshal(resp.Result, out); err != nil {
			return fmt.Errorf("odoo: %s: decode answer: %w", what, err)
		}
	}
	return nil
}

// ErrLoginRefused: Odoo answered authenticate with false.
var ErrLoginRefused = errors.New("odoo refused the login and API key")

func (j *jsonRPC) authenticate(ctx context.Context) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.uid != 0 {
		return j.uid, nil
	}
	if j.refused != nil {
		return 0, j.refused
	}
	var res any
	if err := j.rpc(connectors.Idempotent(ctx), "common/authenticate", "common", "authenticate", []any{j.db, j.login, j.key, map[string]any{}}, &res); err != nil {
		return 0, err
	}
	uid, ok := res.(float64)
	if !ok || uid <= 0 {
		// A refused key stays refused until the configuration changes.
		j.refused = connectors.Permanent(fmt.Errorf("odoo: authenticate %q on database %q: %w", j.login, j.db, ErrLoginRefused))
		return 0, j.refused
	}
	j.uid = int64(uid)
	return j.uid, nil
}

func (j *jsonRPC) call(ctx context.Context, model, method string, kw map[string]any, out any) error {
	uid, err := j.authenticate(ctx)
	if err != nil {
		return err
	}
	var args []any
	rest := map[string]any{}
	for k, v := range kw {
		rest[k] = v
	}
	for _, name := range positional[method] {
		args = append(args, rest[name])
		delete(rest, name)
	}
	return j.rpc(callContext(ctx, method), model+"/"+method, "object", "execute_kw", []any{j.db, uid, j.key, model, method, args, rest}, out)
}
