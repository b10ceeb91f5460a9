package connectors

import (
	"bytes"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Registration is what a connector package hands to Register in its init:
// identity apart from construction, as Caddy modules do.
type Registration struct {
	// Type is the name operators write as `type:` in config.
	Type string
	// Doc is one sentence for generated docs.
	Doc          string
	Capabilities Capabilities
	// NewSettings returns a pointer to the connector's settings struct filled
	// with defaults. Fields carry yaml tags plus `doc:"…"` and `secret:"true"`
	// tags, so docs and log masking come from one place.
	NewSettings func() any
	// New builds an unconnected connector from its decoded settings.
	New func(inst Instance, settings any) (Connector, error)
	// Mapping is the embedded default YAML mapping for this connector type.
	Mapping []byte
	// Sample is one vendor-shaped record of the connector's main resource
	// (JSON), for docs and the mapping benchmark. Optional.
	Sample []byte
	// Vocabularies are the vendor's words for canonical enumerations
	// (gender codes), for mappings to name. Optional.
	Vocabularies []Vocabulary
}

// Instance is what the pipeline tells a connector about the configured
// instance it serves.
type Instance struct {
	Name string
	Type string
	// WebhookSecrets holds the current secret first, then any still accepted
	// during a rotation window.
	WebhookSecrets []string
	// RateLimit is the configured request rate towards the vendor: 0 means
	// the connector's default for its vendor, a negative value no pacing.
	RateLimit float64
	RateBurst int
	Timeout   time.Duration
	// PollLookback is how far before its cursor a listing starts again
	// (0: the connector's default, see Lookback).
	PollLookback time.Duration
	Logger       *slog.Logger
	// Limiter, when set, replaces the connector's own in-process limiter:
	// the pipeline injects one shared by every worker through Redis.
	Limiter Limiter
	// SharedLimiter, when set, makes a limiter for one of the vendor's own
	// limits (key names it within the instance, e.g. an endpoint) at rps
	// with bursts of burst, shared by every worker process of the
	// pipeline. Connectors whose vendor limits each endpoint apart
	// (Klaviyo) pace each through it; nil: pace in-process.
	SharedLimiter func(key string, rps float64, burst int) Limiter
	// Observe, when set, is passed on as ClientOptions.OnResponse (metrics).
	Observe func(method string, status int, d time.Duration)
	// Dir is the config file's folder: relative file paths in settings (a
	// REST profile) resolve from it, not from the working directory, as in
	// a container only the config's folder is mounted. "" = as written.
	Dir string
	// Apps keeps app registrations for connectors that are registered
	// with their vendor as an app (AppRegistrar); nil when there is no hub.
	Apps AppStore
}

// Lookback is the instance's configured poll look-back, or def when none
// is configured.
func (i Instance) Lookback(def time.Duration) time.Duration {
	if i.PollLookback > 0 {
		return i.PollLookback
	}
	return def
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Registration{}
)

// Register adds a connector type. It panics on an empty or duplicate name:
// both are programming errors found at start-up.
func Register(r Registration) {
	if r.Type == "" {
		panic("connectors: Register with empty type")
	}
	if r.New == nil || r.NewSettings == nil {
		panic("connectors: Register " + r.Type + " without constructor or settings")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[r.Type]; dup {
		panic("connectors: duplicate registration of " + r.Type)
	}
	registerVocabularies(r)
	registry[r.Type] = r
}

// Lookup returns the registration of a connector type.
func Lookup(typ string) (Registration, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	r, ok := registry[typ]
	return r, ok
}

// Types lists registered connector types, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DecodeSettings decodes an instance's free-form settings into the
// connector's typed settings struct, rejecting unknown keys so typos fail at
// start-up instead of silently doing nothing.
func DecodeSettings(typ string, raw map[string]any) (any, error) {
	r, ok := Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("unknown connector type %q (known: %v)", typ, Types())
	}
	settings := r.NewSettings()
	if len(raw) == 0 {
		return settings, nil
	}
	b, err := yaml.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(settings); err != nil {
		return nil, fmt.Errorf("settings for %s: %w", typ, err)
	}
	return settings, nil
}

// New decodes settings and constructs an unconnected connector.
func New(inst Instance, raw map[string]any) (Connector, error) {
	r, ok := Lookup(inst.Type)
	if !ok {
		return nil, fmt.Errorf("unknown connector type %q (known: %v)", inst.Type, Types())
	}
	settings, err := DecodeSettings(inst.Type, raw)
	if err != nil {
		return nil, err
	}
	if v, ok := settings.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("settings for %s: %w", inst.Type, err)
		}
	}
	if inst.Logger == nil {
		inst.Logger = slog.Default()
	}
	return r.New(inst, settings)
}
