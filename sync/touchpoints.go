package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/mappings"
	"gopkg.in/yaml.v3"
)

// Touchpoint is one configured connector instance, ready to use: the
// connector, its compiled mapping and its configuration.
type Touchpoint struct {
	Name    string
	Config  config.Connector
	Conn    connectors.Connector
	Mapping *mappings.Mapping
	// slots bounds the pushes to this instance running in this process
	// (config PushSlots); nil means unbounded.
	slots chan struct{}
	// link is the connection state (health.go).
	link *link
}

// slotWait is how long a push waits for a free slot before it steps
// aside: long enough to ride out a burst, short enough that a task for a
// stalled target does not hold a worker slot while others wait.
const slotWait = 100 * time.Millisecond

// slot takes one of the instance's push slots. When all stay taken for
// wait (slotWait for a push task of its own) it returns an errBusy error,
// so that the push is retried soon without using up its retries and the
// worker slot goes to other targets.
func (tp *Touchpoint) slot(ctx context.Context, wait time.Duration) (release func(), err error) {
	if tp.slots == nil {
		return func() {}, nil
	}
	select {
	case tp.slots <- struct{}{}:
		return func() { <-tp.slots }, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case tp.slots <- struct{}{}:
		return func() { <-tp.slots }, nil
	case <-t.C:
		return nil, fmt.Errorf("all %d push slots of %s are taken: %w", cap(tp.slots), tp.Name, errBusy)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Handles reports whether the touchpoint carries resource.
func (tp *Touchpoint) Handles(resource string) bool {
	rs := tp.Config.Resources
	if len(rs) == 0 {
		rs = tp.Conn.Capabilities().Resources
	}
	for _, r := range rs {
		if r == resource {
			return true
		}
	}
	return false
}

// CanPush reports whether the hub pushes resource to this touchpoint.
func (tp *Touchpoint) CanPush(resource string) bool {
	_, isWriter := tp.Conn.(connectors.Writer)
	return tp.Config.Out() && isWriter && tp.Handles(resource) && tp.Mapping.HasOutbound(resource)
}

// Touchpoints are all configured instances by name.
type Touchpoints struct {
	byName map[string]*Touchpoint
	names  []string
}

// Get returns the named touchpoint.
func (t *Touchpoints) Get(name string) (*Touchpoint, bool) {
	tp, ok := t.byName[name]
	return tp, ok
}

// All returns the touchpoints in name order.
func (t *Touchpoints) All() []*Touchpoint {
	out := make([]*Touchpoint, 0, len(t.names))
	for _, n := range t.names {
		out = append(out, t.byName[n])
	}
	return out
}

// Names lists the instance names in order.
func (t *Touchpoints) Names() []string { return append([]string(nil), t.names...) }

// PushSlots is each instance's push slots in this process (NewServers).
func (t *Touchpoints) PushSlots() map[string]int {
	out := make(map[string]int, len(t.names))
	for _, n := range t.names {
		out[n] = cap(t.byName[n].slots)
	}
	return out
}

// Close closes every connector.
func (t *Touchpoints) Close() error {
	var errs []error
	for _, tp := range t.byName {
		errs = append(errs, tp.Conn.Close())
	}
	return errors.Join(errs...)
}

// settingsMap is the instance's settings with the connector's defaults
// applied, as mapping expressions see them under `settings`.
func settingsMap(cc config.Connector) (map[string]any, error) {
	decoded, err := connectors.DecodeSettings(cc.Type, cc.Settings)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(decoded)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// InstanceHook adjusts what a connector is told about its instance before it
// is built: the app injects the shared rate limiter and metrics hook.
type InstanceHook func(cc config.Connector, inst *connectors.Instance)

// Build constructs every configured connector and compiles its mapping.
// Connectors connect lazily (health.go): a vendor that cannot be reached
// fails no start-up. connect=false never connects (for `shophub check`).
func Build(ctx context.Context, cfg *config.Config, log *slog.Logger, connect bool, hooks ...InstanceHook) (*Touchpoints, error) {
	t := &Touchpoints{byName: map[string]*Touchpoint{}}
	var errs []error
	for i, cc := range cfg.Connectors {
		tp, err := buildOne(ctx, cfg, cc, log, connect, hooks)
		if err != nil {
			errs = append(errs, locate(cfg, i, cc, err)...)
			continue
		}
		t.byName[cc.Name] = tp
		t.names = append(t.names, cc.Name)
	}
	sort.Strings(t.names)
	if len(errs) > 0 {
		_ = t.Close()
		return nil, errors.Join(errs...)
	}
	return t, nil
}

var (
	settingsPrefix = regexp.MustCompile(`^settings for [^:]+: `)
	unknownField   = regexp.MustCompile(`field (\S+) not found in type`)
	leadingKey     = regexp.MustCompile(`^([a-z][a-z0-9_]*)\b`)
)

// locate names file:line for each problem of a connector that failed to
// build, at the key it is about where it can tell: an unknown setting
// (whose yaml "line N" counts lines of the re-encoded settings, not of the
// file, and is dropped) or a setting's validation message at that setting,
// a missing one at the entry's settings; anything else at the entry.
func locate(cfg *config.Config, i int, cc config.Connector, err error) []error {
	entry := fmt.Sprintf("connectors[%d]", i)
	at := func(field, msg string) error {
		e := cfg.ErrorAt(field, "")
		if e.Line == 0 {
			e.Line = cc.Line
		}
		return fmt.Errorf("%s:%d: connector %s: %s", cfg.File, e.Line, cc.Name, msg)
	}
	text := err.Error()
	prefix := settingsPrefix.FindString(text)
	if prefix == "" {
		return []error{fmt.Errorf("%s:%d: connector %s: %w", cfg.File, cc.Line, cc.Name, err)}
	}
	if fields := unknownField.FindAllStringSubmatch(text, -1); fields != nil {
		var out []error
		for _, f := range fields {
			out = append(out, at(entry+".settings."+f[1], prefix+"unknown setting "+f[1]))
		}
		return out
	}
	var out []error
	for _, msg := range strings.Split(strings.TrimPrefix(text, prefix), "\n") {
		if msg = strings.TrimSpace(msg); msg == "" {
			continue
		}
		field := entry + ".settings"
		if k := leadingKey.FindString(msg); k != "" {
			field += "." + k
		}
		out = append(out, at(field, prefix+msg))
	}
	return out
}

func buildOne(ctx context.Context, cfg *config.Config, cc config.Connector, log *slog.Logger, connect bool, hooks []InstanceHook) (*Touchpoint, error) {
	reg, ok := connectors.Lookup(cc.Type)
	if !ok {
		return nil, fmt.Errorf("unknown type %q (known: %v)", cc.Type, connectors.Types())
	}
	inst := connectors.Instance{
		Name: cc.Name, Type: cc.Type, WebhookSecrets: cc.Secrets(),
		RateLimit: cc.RateLimit, RateBurst: cc.RateBurst, Timeout: cc.Timeout.D(),
		PollLookback: cc.PollLookback.D(),
		Logger:       log.With("connector", cc.Name),
	}
	if cfg.File != "" {
		inst.Dir = filepath.Dir(cfg.File)
	}
	for _, h := range hooks {
		h(cc, &inst)
	}
	conn, err := connectors.New(inst, cc.Settings)
	if err != nil {
		return nil, err
	}
	src, file := reg.Mapping, "connectors/"+cc.Type+"/mapping.yaml"
	if cc.Mapping != "" {
		if src, err = os.ReadFile(cc.Mapping); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("mapping override: %w", err)
		}
		file = cc.Mapping
	}
	settings, err := settingsMap(cc)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	m, err := mappings.Compile(file, src, mappings.Options{Settings: settings, DefaultRegion: cfg.Hub.DefaultRegion, Region: cc.Region})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &Touchpoint{Name: cc.Name, Config: cc, Conn: conn, Mapping: m,
		slots: make(chan struct{}, cc.PushSlots(cfg.Worker)), link: newLink(connect, cc.Timeout.D())}, nil
}
