// Package klaviyotest is an in-memory Klaviyo REST API for tests,
// benchmarks and `shophub dev`, in Klaviyo's JSON:API wire format: the
// Klaviyo-API-Key authorization and the revision header required, request
// documents validated as Klaviyo does (data.type, known profile
// attributes, email and E.164 phone formats, an identifier on every
// profile, a metric name and a profile on every event), errors as JSON:API
// error objects, and each endpoint's burst and steady rate limits in fixed
// windows, answered with 429, Retry-After and a throttled error.
//
// Scale shrinks both windows by its factor (Options.Scale): at Scale 60 the
// steady window of one minute lasts one second, so tier L (75/s burst,
// 700/m steady) allows 700 requests per second, and a benchmark of
// 10,000 profiles runs in seconds. Retry-After is then given in fractional
// seconds of the scaled window.
package klaviyotest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// DefaultAPIKey is the key accepted unless Options say otherwise.
const DefaultAPIKey = "pk_emulator_key"

// Limit is one endpoint's rate limit per window.
type Limit struct{ Burst, Steady int }

// Endpoint limits as Klaviyo documents them.
var Limits = map[string]Limit{
	"profile-import":                        {75, 700},
	"profiles":                              {75, 700},
	"profile-subscription-bulk-create-jobs": {75, 700},
	"profile-subscription-bulk-delete-jobs": {75, 700},
	"events":                                {350, 3500},
	"data-privacy-deletion-jobs":            {3, 60},
}

// Options configure an Emulator.
type Options struct {
	APIKey string
	// Scale shrinks the burst (1 s) and steady (1 min) windows by this
	// factor; 0 or 1 is Klaviyo's own timing.
	Scale float64
	// NoLimits turns rate limiting off.
	NoLimits bool
	Now      func() time.Time
}

// Profile is a stored profile.
type Profile struct {
	ID         string
	Attributes map[string]any
	// Email and SMS marketing consent: "SUBSCRIBED", "UNSUBSCRIBED" or "".
	EmailConsent, SMSConsent string
	ConsentedAt              string
	Created, Updated         time.Time
}

// Event is a stored event.
type Event struct {
	Metric     string
	ProfileID  string
	UniqueID   string
	Time       string
	Properties map[string]any
	Value      any
}

// Emulator is an in-memory Klaviyo account; safe for concurrent use.
type Emulator struct {
	emulator.Server
	opts Options

	mu       sync.Mutex
	profiles map[string]*Profile
	byEmail  map[string]string
	byPhone  map[string]string
	events   []Event
	uniq     map[string]bool
	nextID   int64
	windows  map[string]*window
	deleted  int

	// Throttled counts 429 answers given for exceeded limits; Accepted
	// counts requests that passed the limits, per endpoint.
	Throttled atomic.Int64
	accepted  sync.Map // endpoint → *atomic.Int64
}

type window struct {
	burstStart, steadyStart time.Time
	burstN, steadyN         int
}

// New builds an emulator; serve it with Handler or Start.
func New(opts Options) *Emulator {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Emulator{opts: opts, profiles: map[string]*Profile{}, byEmail: map[string]string{}, byPhone: map[string]string{},
		uniq: map[string]bool{}, windows: map[string]*window{}, nextID: 1}
}

// Handler serves the API.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start serves on a local server and returns its base URL.
func (e *Emulator) Start() string { return e.Server.Start(e.Handler()) }

// Windows are the scaled burst and steady windows.
func (e *Emulator) Windows() (burst, steady time.Duration) {
	return time.Duration(float64(time.Second) / e.opts.Scale), time.Duration(float64(time.Minute) / e.opts.Scale)
}

// AllowedRate is an endpoint's sustained rate per second (its steady limit
// per scaled steady window).
func (e *Emulator) AllowedRate(endpoint string) float64 {
	_, steady := e.Windows()
	return float64(Limits[endpoint].Steady) / steady.Seconds()
}

// Accepted is how many requests to endpoint passed the rate limits.
func (e *Emulator) Accepted(endpoint string) int64 {
	v, _ := e.accepted.LoadOrStore(endpoint, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

// ProfileCount is the number of stored profiles.
func (e *Emulator) ProfileCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.profiles)
}

// ProfileByEmail returns a copy of the profile with email.
func (e *Emulator) ProfileByEmail(email string) (Profile, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.byEmail[strings.ToLower(email)]
	if !ok {
		return Profile{}, false
	}
	return e.copyProfile(e.profiles[id]), true
}

// Profile returns a copy of the profile id.
func (e *Emulator) Profile(id string) (Profile, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.profiles[id]
	if !ok {
		return Profile{}, false
	}
	return e.copyProfile(p), true
}

func (e *Emulator) copyProfile(p *Profile) Profile {
	c := *p
	b, _ := json.Marshal(p.Attributes)
	_ = json.Unmarshal(b, &c.Attributes)
	return c
}

// Events returns the stored events.
func (e *Emulator) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// apiError is one JSON:API error object as Klaviyo renders it.
type apiError struct {
	ID     string         `json:"id"`
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source map[string]any `json:"source"`
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	for i := range errs {
		errs[i].Status = status
		if errs[i].ID == "" {
			errs[i].ID = fmt.Sprintf("emu-%d-%d", time.Now().UnixNano(), i)
		}
		if errs[i].Source == nil {
			errs[i].Source = map[string]any{"pointer": "/data/"}
		}
	}
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

func invalid(w http.ResponseWriter, pointer, detail string) {
	writeErrors(w, http.StatusBadRequest, apiError{Code: "invalid", Title: "Invalid input.", Detail: detail, Source: map[string]any{"pointer": pointer}})
}

func writeDoc(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	if doc != nil {
		_ = json.NewEncoder(w).Encode(doc)
	}
}

// admit applies an endpoint's fixed burst and steady windows; false means
// a 429 was written.
func (e *Emulator) admit(w http.ResponseWriter, endpoint string) bool {
	if e.opts.NoLimits {
		return true
	}
	lim, ok := Limits[endpoint]
	if !ok {
		return true
	}
	burstW, steadyW := e.Windows()
	now := e.opts.Now()
	e.mu.Lock()
	win := e.windows[endpoint]
	if win == nil {
		win = &window{burstStart: now, steadyStart: now}
		e.windows[endpoint] = win
	}
	if now.Sub(win.burstStart) >= burstW {
		win.burstStart, win.burstN = now, 0
	}
	if now.Sub(win.steadyStart) >= steadyW {
		win.steadyStart, win.steadyN = now, 0
	}
	var wait time.Duration
	switch {
	case win.steadyN >= lim.Steady:
		wait = win.steadyStart.Add(steadyW).Sub(now)
	case win.burstN >= lim.Burst:
		wait = win.burstStart.Add(burstW).Sub(now)
	default:
		win.burstN++
		win.steadyN++
	}
	e.mu.Unlock()
	if wait > 0 {
		e.Throttled.Add(1)
		secs := wait.Seconds()
		if e.opts.Scale == 1 {
			secs = math.Ceil(secs) // Klaviyo says whole seconds
		}
		w.Header().Set("Retry-After", strconv.FormatFloat(secs, 'f', -1, 64))
		writeErrors(w, http.StatusTooManyRequests, apiError{Code: "throttled", Title: "Request was throttled.",
			Detail: fmt.Sprintf("Request was throttled. Expected available in %s seconds.", strconv.FormatFloat(math.Ceil(secs), 'f', -1, 64))})
		return false
	}
	v, _ := e.accepted.LoadOrStore(endpoint, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	w.Header().Set("RateLimit-Limit", strconv.Itoa(lim.Steady))
	return true
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.LogRequest(r)
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		writeErrors(w, http.StatusNotFound, apiError{Code: "not_found", Title: "Not found.", Detail: "Not found."})
		return
	}
	if r.Header.Get("Authorization") != "Klaviyo-API-Key "+e.opts.APIKey {
		writeErrors(w, http.StatusUnauthorized, apiError{Code: "not_authenticated", Title: "Authentication credentials were not provided.",
			Detail: "Missing or invalid private key."})
		return
	}
	if rev := r.Header.Get("revision"); rev == "" {
		writeErrors(w, http.StatusBadRequest, apiError{Code: "invalid", Title: "Invalid input.", Detail: "The revision header is required."})
		return
	} else if _, err := time.Parse(time.DateOnly, strings.TrimSuffix(rev, ".pre")); err != nil {
		writeErrors(w, http.StatusBadRequest, apiError{Code: "invalid_revision", Title: "Invalid revision.", Detail: "Invalid revision header: " + rev})
		return
	}
	endpoint, id, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	if f := e.Take(); f.Throttled {
		e.Throttled.Add(1)
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		writeErrors(w, http.StatusTooManyRequests, apiError{Code: "throttled", Title: "Request was throttled.", Detail: "Request was throttled."})
		return
	} else if f.Status != 0 {
		writeErrors(w, f.Status, apiError{Code: "error", Title: "A server error occurred.", Detail: "Injected failure."})
		return
	}
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/vnd.api+json") && !strings.HasPrefix(ct, "application/json") {
			writeErrors(w, http.StatusUnsupportedMediaType, apiError{Code: "unsupported_media_type", Title: "Unsupported media type.",
				Detail: "Unsupported media type \"" + ct + "\" in request."})
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && endpoint == "profile-import" && id == "":
		if e.admit(w, endpoint) {
			e.profileImport(w, r)
		}
	case r.Method == http.MethodGet && endpoint == "profiles" && id != "":
		if e.admit(w, endpoint) {
			e.getProfile(w, id)
		}
	case r.Method == http.MethodPost && (endpoint == "profile-subscription-bulk-create-jobs" || endpoint == "profile-subscription-bulk-delete-jobs") && id == "":
		if e.admit(w, endpoint) {
			e.subscriptionJob(w, r, endpoint == "profile-subscription-bulk-create-jobs")
		}
	case r.Method == http.MethodPost && endpoint == "events" && id == "":
		if e.admit(w, endpoint) {
			e.createEvent(w, r)
		}
	case r.Method == http.MethodPost && endpoint == "data-privacy-deletion-jobs" && id == "":
		if e.admit(w, endpoint) {
			e.deletionJob(w, r)
		}
	default:
		writeErrors(w, http.StatusNotFound, apiError{Code: "not_found", Title: "Not found.", Detail: "Not found."})
	}
}

// readDoc decodes a JSON:API document whose data has type typ.
func readDoc(w http.ResponseWriter, r *http.Request, typ string) (map[string]any, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 5<<20))
	if err != nil {
		invalid(w, "/", "could not read the body")
		return nil, false
	}
	var doc struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Data == nil {
		invalid(w, "/data", "JSON:API document with a data object required")
		return nil, false
	}
	if t, _ := doc.Data["type"].(string); t != typ {
		writeErrors(w, http.StatusConflict, apiError{Code: "conflict", Title: "Conflict.", Detail: fmt.Sprintf("The type %q is not the resource type %q.", t, typ),
			Source: map[string]any{"pointer": "/data/type"}})
		return nil, false
	}
	return doc.Data, true
}

var (
	profileAttrs = map[string]bool{"email": true, "phone_number": true, "external_id": true, "anonymous_id": true, "_kx": true,
		"first_name": true, "last_name": true, "organization": true, "locale": true, "title": true, "image": true,
		"location": true, "properties": true}
	locationAttrs = map[string]bool{"address1": true, "address2": true, "city": true, "country": true, "latitude": true,
		"longitude": true, "region": true, "zip": true, "timezone": true, "ip": true}
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	e164RE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// validProfile checks profile attributes as Klaviyo does; pointer names
// where they sit in the document.
func validProfile(attrs map[string]any, pointer string, needID bool) (field, detail string) {
	for k, v := range attrs {
		if !profileAttrs[k] {
			return pointer + "/" + k, fmt.Sprintf("'%s' is not a valid field for the resource 'profile'.", k)
		}
		switch k {
		case "email":
			if s, ok := v.(string); v != nil && (!ok || (s != "" && !emailRE.MatchString(s))) {
				return pointer + "/email", "Invalid email address"
			}
		case "phone_number":
			if s, ok := v.(string); v != nil && (!ok || (s != "" && !e164RE.MatchString(s))) {
				return pointer + "/phone_number", "Invalid phone number format (Example of a valid format: +12345678901)"
			}
		case "location":
			m, ok := v.(map[string]any)
			if v != nil && !ok {
				return pointer + "/location", "location must be an object"
			}
			for lk := range m {
				if !locationAttrs[lk] {
					return pointer + "/location/" + lk, fmt.Sprintf("'%s' is not a valid field for the resource 'location'.", lk)
				}
			}
		case "properties":
			if _, ok := v.(map[string]any); v != nil && !ok {
				return pointer + "/properties", "properties must be an object"
			}
		}
	}
	if needID && str(attrs["email"]) == "" && str(attrs["phone_number"]) == "" && str(attrs["external_id"]) == "" && str(attrs["anonymous_id"]) == "" {
		return pointer, "One of email, phone_number, external_id or anonymous_id is required to identify a profile."
	}
	return "", ""
}

func str(v any) string { s, _ := v.(string); return s }

func (e *Emulator) render(p *Profile) map[string]any {
	attrs := map[string]any{}
	for k, v := range p.Attributes {
		attrs[k] = v
	}
	attrs["created"] = p.Created.UTC().Format("2006-01-02T15:04:05+00:00")
	attrs["updated"] = p.Updated.UTC().Format("2006-01-02T15:04:05+00:00")
	attrs["subscriptions"] = map[string]any{
		"email": map[string]any{"marketing": map[string]any{"consent": orNever(p.EmailConsent), "consent_timestamp": nilIf(p.ConsentedAt)}},
		"sms":   map[string]any{"marketing": map[string]any{"consent": orNever(p.SMSConsent)}},
	}
	return map[string]any{"data": map[string]any{"type": "profile", "id": p.ID, "attributes": attrs,
		"links": map[string]any{"self": "https://a.klaviyo.com/api/profiles/" + p.ID + "/"}}}
}

func orNever(s string) string {
	if s == "" {
		return "NEVER_SUBSCRIBED"
	}
	return s
}

func nilIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// profileImport is Create or Update Profile: by id when given, else the
// profile with the email (or phone) is updated, else one is created.
// Attributes sent replace those held; properties merge key by key.
func (e *Emulator) profileImport(w http.ResponseWriter, r *http.Request) {
	data, ok := readDoc(w, r, "profile")
	if !ok {
		return
	}
	attrs, _ := data["attributes"].(map[string]any)
	if attrs == nil {
		invalid(w, "/data/attributes", "attributes are required")
		return
	}
	id := str(data["id"])
	if f, d := validProfile(attrs, "/data/attributes", id == ""); f != "" {
		invalid(w, f, d)
		return
	}
	e.CountWrite()
	e.mu.Lock()
	defer e.mu.Unlock()
	var p *Profile
	switch {
	case id != "":
		p = e.profiles[id]
		if p == nil {
			e.mu.Unlock()
			writeErrors(w, http.StatusNotFound, apiError{Code: "not_found", Title: "Not found.", Detail: "A profile with id " + id + " does not exist."})
			e.mu.Lock()
			return
		}
	case str(attrs["email"]) != "":
		if pid, ok := e.byEmail[strings.ToLower(str(attrs["email"]))]; ok {
			p = e.profiles[pid]
		}
	case str(attrs["phone_number"]) != "":
		if pid, ok := e.byPhone[str(attrs["phone_number"])]; ok {
			p = e.profiles[pid]
		}
	}
	status := http.StatusOK
	if p == nil {
		p = &Profile{ID: fmt.Sprintf("01EMU%021d", e.nextID), Attributes: map[string]any{}, Created: e.opts.Now()}
		e.nextID++
		e.profiles[p.ID] = p
		status = http.StatusCreated
	}
	p.Updated = e.opts.Now()
	if em := str(attrs["email"]); em != "" {
		if other, ok := e.byEmail[strings.ToLower(em)]; ok && other != p.ID {
			writeErrors(w, http.StatusConflict, apiError{Code: "duplicate_profile", Title: "Conflict.", Detail: "A profile already exists with one of these identifiers.",
				Source: map[string]any{"pointer": "/data/attributes/email"}})
			return
		}
	}
	for k, v := range attrs {
		if k == "properties" || k == "location" {
			m, _ := p.Attributes[k].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			for pk, pv := range v.(map[string]any) {
				m[pk] = pv
			}
			p.Attributes[k] = m
			continue
		}
		if old := str(p.Attributes[k]); k == "email" && old != "" {
			delete(e.byEmail, strings.ToLower(old))
		} else if k == "phone_number" && old != "" {
			delete(e.byPhone, old)
		}
		p.Attributes[k] = v
	}
	if em := str(p.Attributes["email"]); em != "" {
		e.byEmail[strings.ToLower(em)] = p.ID
	}
	if ph := str(p.Attributes["phone_number"]); ph != "" {
		e.byPhone[ph] = p.ID
	}
	writeDoc(w, status, e.render(p))
}

func (e *Emulator) getProfile(w http.ResponseWriter, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.profiles[id]
	if p == nil {
		writeErrors(w, http.StatusNotFound, apiError{Code: "not_found", Title: "Not found.", Detail: "A profile with id " + id + " does not exist."})
		return
	}
	writeDoc(w, http.StatusOK, e.render(p))
}

// subscriptionJob is Bulk Subscribe (create) or Bulk Unsubscribe
// (delete) Profiles: each profile names email and/or phone_number and the
// channels whose marketing consent it sets. Klaviyo answers 202 and
// processes the job later; the emulator applies it at once.
func (e *Emulator) subscriptionJob(w http.ResponseWriter, r *http.Request, subscribe bool) {
	typ := "profile-subscription-bulk-delete-job"
	if subscribe {
		typ = "profile-subscription-bulk-create-job"
	}
	data, ok := readDoc(w, r, typ)
	if !ok {
		return
	}
	attrs, _ := data["attributes"].(map[string]any)
	profs, _ := attrs["profiles"].(map[string]any)
	list, _ := profs["data"].([]any)
	if len(list) == 0 || len(list) > 1000 {
		invalid(w, "/data/attributes/profiles/data", "between 1 and 1000 profiles are required")
		return
	}
	type change struct {
		email, phone     string
		emailC, smsC, at string
	}
	var changes []change
	for i, x := range list {
		ptr := fmt.Sprintf("/data/attributes/profiles/data/%d/attributes", i)
		pm, _ := x.(map[string]any)
		if str(pm["type"]) != "profile" {
			invalid(w, fmt.Sprintf("/data/attributes/profiles/data/%d/type", i), "type must be profile")
			return
		}
		pa, _ := pm["attributes"].(map[string]any)
		subs, _ := pa["subscriptions"].(map[string]any)
		c := change{email: str(pa["email"]), phone: str(pa["phone_number"])}
		if c.email != "" && !emailRE.MatchString(c.email) {
			invalid(w, ptr+"/email", "Invalid email address")
			return
		}
		if c.phone != "" && !e164RE.MatchString(c.phone) {
			invalid(w, ptr+"/phone_number", "Invalid phone number format (Example of a valid format: +12345678901)")
			return
		}
		for ch, dst := range map[string]*string{"email": &c.emailC, "sms": &c.smsC} {
			chm, ok := subs[ch].(map[string]any)
			if !ok {
				continue
			}
			mk, _ := chm["marketing"].(map[string]any)
			consent := str(mk["consent"])
			want := "UNSUBSCRIBED"
			if subscribe {
				want = "SUBSCRIBED"
			}
			if consent != want {
				invalid(w, ptr+"/subscriptions/"+ch+"/marketing/consent", "consent must be "+want)
				return
			}
			if ch == "email" && c.email == "" || ch == "sms" && c.phone == "" {
				invalid(w, ptr, "the channel "+ch+" needs its identifier (email or phone_number)")
				return
			}
			if at := str(mk["consented_at"]); at != "" {
				if _, err := time.Parse(time.RFC3339, at); err != nil {
					invalid(w, ptr+"/subscriptions/"+ch+"/marketing/consented_at", "consented_at must be an ISO 8601 datetime")
					return
				}
				c.at = at
			}
			*dst = consent
		}
		if c.emailC == "" && c.smsC == "" {
			invalid(w, ptr+"/subscriptions", "at least one channel is required")
			return
		}
		changes = append(changes, c)
	}
	e.CountWrite()
	e.mu.Lock()
	for _, c := range changes {
		id := e.byEmail[strings.ToLower(c.email)]
		if id == "" {
			id = e.byPhone[c.phone]
		}
		p := e.profiles[id]
		if p == nil {
			p = &Profile{ID: fmt.Sprintf("01EMU%021d", e.nextID), Attributes: map[string]any{}}
			e.nextID++
			e.profiles[p.ID] = p
			if c.email != "" {
				p.Attributes["email"], e.byEmail[strings.ToLower(c.email)] = c.email, p.ID
			}
			if c.phone != "" {
				p.Attributes["phone_number"], e.byPhone[c.phone] = c.phone, p.ID
			}
		}
		if c.emailC != "" {
			p.EmailConsent = c.emailC
		}
		if c.smsC != "" {
			p.SMSConsent = c.smsC
		}
		if c.at != "" {
			p.ConsentedAt = c.at
		}
	}
	e.mu.Unlock()
	writeDoc(w, http.StatusAccepted, nil)
}

// createEvent is Create Event: a metric by name, a profile by id or
// identifiers (created when unknown), properties, time and unique_id (an
// event with a unique_id seen before is accepted and not stored twice).
func (e *Emulator) createEvent(w http.ResponseWriter, r *http.Request) {
	data, ok := readDoc(w, r, "event")
	if !ok {
		return
	}
	attrs, _ := data["attributes"].(map[string]any)
	props, ok := attrs["properties"].(map[string]any)
	if !ok {
		invalid(w, "/data/attributes/properties", "properties is required and must be an object")
		return
	}
	metric, _ := attrs["metric"].(map[string]any)
	md, _ := metric["data"].(map[string]any)
	ma, _ := md["attributes"].(map[string]any)
	name := str(ma["name"])
	if str(md["type"]) != "metric" || name == "" {
		invalid(w, "/data/attributes/metric/data/attributes/name", "a metric with a name is required")
		return
	}
	prof, _ := attrs["profile"].(map[string]any)
	pd, _ := prof["data"].(map[string]any)
	if str(pd["type"]) != "profile" {
		invalid(w, "/data/attributes/profile/data/type", "a profile is required")
		return
	}
	pa, _ := pd["attributes"].(map[string]any)
	if pa == nil {
		pa = map[string]any{}
	}
	pid := str(pd["id"])
	if f, d := validProfile(pa, "/data/attributes/profile/data/attributes", pid == ""); f != "" {
		invalid(w, f, d)
		return
	}
	if t := str(attrs["time"]); t != "" {
		if _, err := time.Parse(time.RFC3339, t); err != nil {
			invalid(w, "/data/attributes/time", "time must be an ISO 8601 datetime")
			return
		}
	}
	e.CountWrite()
	e.mu.Lock()
	defer e.mu.Unlock()
	uid := str(attrs["unique_id"])
	if uid != "" && e.uniq[name+"\x00"+uid] {
		writeDoc(w, http.StatusAccepted, nil)
		return
	}
	if pid == "" || e.profiles[pid] == nil {
		pid = e.byEmail[strings.ToLower(str(pa["email"]))]
		if pid == "" && str(pa["phone_number"]) != "" {
			pid = e.byPhone[str(pa["phone_number"])]
		}
	}
	if pid == "" {
		p := &Profile{ID: fmt.Sprintf("01EMU%021d", e.nextID), Attributes: map[string]any{}}
		e.nextID++
		for k, v := range pa {
			p.Attributes[k] = v
		}
		e.profiles[p.ID] = p
		if em := str(pa["email"]); em != "" {
			e.byEmail[strings.ToLower(em)] = p.ID
		}
		pid = p.ID
	}
	if uid != "" {
		e.uniq[name+"\x00"+uid] = true
	}
	e.events = append(e.events, Event{Metric: name, ProfileID: pid, UniqueID: uid, Time: str(attrs["time"]), Properties: props, Value: attrs["value"]})
	writeDoc(w, http.StatusAccepted, nil)
}

// deletionJob is Request Profile Deletion: the profile goes.
func (e *Emulator) deletionJob(w http.ResponseWriter, r *http.Request) {
	data, ok := readDoc(w, r, "data-privacy-deletion-job")
	if !ok {
		return
	}
	attrs, _ := data["attributes"].(map[string]any)
	prof, _ := attrs["profile"].(map[string]any)
	pd, _ := prof["data"].(map[string]any)
	id := str(pd["id"])
	if id == "" {
		invalid(w, "/data/attributes/profile/data/id", "a profile id is required")
		return
	}
	e.CountWrite()
	e.mu.Lock()
	if p := e.profiles[id]; p != nil {
		delete(e.byEmail, strings.ToLower(str(p.Attributes["email"])))
		delete(e.byPhone, str(p.Attributes["phone_number"]))
		delete(e.profiles, id)
		e.deleted++
	}
	e.mu.Unlock()
	writeDoc(w, http.StatusAccepted, nil)
}

// Seed creates n profiles as if imported in Klaviyo's UI and returns their
// ids.
func (e *Emulator) Seed(n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, n)
	for i := range ids {
		p := &Profile{ID: fmt.Sprintf("01EMU%021d", e.nextID), Attributes: map[string]any{}, Created: e.opts.Now(), Updated: e.opts.Now()}
		email := fmt.Sprintf("seed-%d@example.com", e.nextID)
		e.nextID++
		p.Attributes["email"], p.Attributes["first_name"] = email, "Seed"
		e.profiles[p.ID], e.byEmail[email] = p, p.ID
		ids[i] = p.ID
	}
	return ids
}

// Customer returns a profile's attributes as Klaviyo renders them.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.profiles[id]
	if !ok {
		return nil, false
	}
	return e.render(p)["data"].(map[string]any)["attributes"].(map[string]any), true
}

// Count is the number of profiles.
func (e *Emulator) Count() int { return e.ProfileCount() }
