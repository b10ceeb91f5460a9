package klaviyo

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Payload keys of the outbound mapping that are not profile attributes:
// the canonical consents (subscribed, updated_at), turned into
// subscription jobs.
const (
	KeyEmailConsent = "email_consent"
	KeySMSConsent   = "sms_consent"
)

type resource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id,omitempty"`
	Attributes map[string]any `json:"attributes"`
}

type document struct {
	Data resource `json:"data"`
}

// Upsert implements connectors.Writer: profile-import creates or updates
// the profile (by id when linked, else by email/phone), then the consents
// in the payload become a subscribe or unsubscribe job.
func (c *Connector) Upsert(ctx context.Context, res, externalID string, payload map[string]any) (*connectors.Record, error) {
	if res != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("klaviyo: cannot write %q", res))
	}
	attrs := map[string]any{}
	consents := map[string]map[string]any{}
	for k, v := range payload {
		switch k {
		case KeyEmailConsent, KeySMSConsent:
			if m, ok := v.(map[string]any); ok {
				consents[k] = m
			}
		default:
			attrs[k] = v
		}
	}
	rec := &connectors.Record{Resource: res, ExternalID: externalID, Data: map[string]any{}}
	if len(attrs) > 0 || externalID == "" {
		var out document
		// profile-import is an upsert: repeating it after a lost answer
		// changes nothing, so it may be repeated in place.
		if _, err := post(connectors.Idempotent(ctx), c.api.profileImport, "/api/profile-import",
			document{Data: resource{Type: "profile", ID: externalID, Attributes: attrs}}, &out); err != nil {
			return nil, fmt.Errorf("klaviyo: profile-import: %w", err)
		}
		if out.Data.ID == "" {
			return nil, fmt.Errorf("klaviyo: profile-import answered no profile id")
		}
		rec.ExternalID, rec.Data = out.Data.ID, out.Data.Attributes
	}
	if len(consents) > 0 {
		if rec.Data["email"] == nil && rec.Data["phone_number"] == nil {
			got, err := c.Fetch(ctx, res, rec.ExternalID)
			if err != nil {
				return nil, err
			}
			rec.Data = got.Data
		}
		if err := c.subscribe(ctx, rec, consents); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// subscribe sends the hub's consents: subscribed ones in a subscribe job
// with their time as consented_at, withdrawn ones in an unsubscribe job.
func (c *Connector) subscribe(ctx context.Context, rec *connectors.Record, consents map[string]map[string]any) error {
	email, _ := rec.Data["email"].(string)
	phone, _ := rec.Data["phone_number"].(string)
	sub, unsub := map[string]any{}, map[string]any{}
	for key, channel := range map[string]string{KeyEmailConsent: "email", KeySMSConsent: "sms"} {
		cons, ok := consents[key]
		if !ok || (channel == "email" && email == "") || (channel == "sms" && phone == "") {
			continue
		}
		if yes, _ := cons["subscribed"].(bool); yes {
			m := map[string]any{"consent": "SUBSCRIBED"}
			if at, _ := cons["updated_at"].(string); at != "" {
				m["consented_at"] = at
			}
			sub[channel] = map[string]any{"marketing": m}
		} else {
			unsub[channel] = map[string]any{"marketing": map[string]any{"consent": "UNSUBSCRIBED"}}
		}
	}
	profile := func(subs map[string]any) map[string]any {
		a := map[string]any{"subscriptions": subs}
		if _, ok := subs["email"]; ok {
			a["email"] = email
		}
		if _, ok := subs["sms"]; ok {
			a["phone_number"] = phone
		}
		return map[string]any{"data": []any{map[string]any{"type": "profile", "attributes": a}}}
	}
	job := func(typ string, subs map[string]any) map[string]any {
		d := map[string]any{"type": typ, "attributes": map[string]any{"profiles": profile(subs)}}
		if typ == "profile-subscription-bulk-create-job" {
			d["attributes"].(map[string]any)["custom_source"] = c.settings.Source
			d["attributes"].(map[string]any)["historical_import"] = false
		}
		if c.settings.ListID != "" {
			d["relationships"] = map[string]any{"list": map[string]any{"data": map[string]any{"type": "list", "id": c.settings.ListID}}}
		}
		return map[string]any{"data": d}
	}
	ictx := connectors.Idempotent(ctx) // a job of the same consent again is the same state
	if len(sub) > 0 {
		if _, err := post(ictx, c.api.subscriptions, "/api/profile-subscription-bulk-create-jobs", job("profile-subscription-bulk-create-job", sub), nil); err != nil {
			return fmt.Errorf("klaviyo: subscribe: %w", err)
		}
	}
	if len(unsub) > 0 {
		if _, err := post(ictx, c.api.subscriptions, "/api/profile-subscription-bulk-delete-jobs", job("profile-subscription-bulk-delete-job", unsub), nil); err != nil {
			return fmt.Errorf("klaviyo: unsubscribe: %w", err)
		}
	}
	return nil
}

// Fetch implements connectors.Fetcher: GET /api/profiles/{id}.
func (c *Connector) Fetch(ctx context.Context, res, externalID string) (*connectors.Record, error) {
	if res != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("klaviyo: cannot fetch %q", res))
	}
	var out document
	if _, err := c.api.profiles.Do(ctx, "GET", "/api/profiles/"+url.PathEscape(externalID), nil, &out); err != nil {
		return nil, fmt.Errorf("klaviyo: fetch profile %s: %w", externalID, err)
	}
	rec := &connectors.Record{Resource: res, ExternalID: out.Data.ID, Data: out.Data.Attributes}
	if s, _ := out.Data.Attributes["updated"].(string); s != "" {
		rec.UpdatedAt, _ = time.Parse(time.RFC3339, s)
	}
	return rec, nil
}

// Delete implements connectors.Writer through a data-privacy deletion
// job (Klaviyo deletes the profile and its data asynchronously).
func (c *Connector) Delete(ctx context.Context, res, externalID string) error {
	doc := map[string]any{"data": map[string]any{"type": "data-privacy-deletion-job", "attributes": map[string]any{
		"profile": map[string]any{"data": map[string]any{"type": "profile", "id": externalID}}}}}
	if _, err := post(connectors.Idempotent(ctx), c.api.deletion, "/api/data-privacy-deletion-jobs", doc, nil); err != nil {
		return fmt.Errorf("klaviyo: delete profile %s: %w", externalID, err)
	}
	return nil
}

// SendEvent implements connectors.EventSink: Create Event with the event
// type as the metric, its properties, its time and its id as unique_id
// (Klaviyo keeps one event per unique_id, so a retry is no duplicate).
func (c *Connector) SendEvent(ctx context.Context, ev connectors.OutEvent) error {
	prof := map[string]any{}
	if ev.Person.Email != "" {
		prof["email"] = ev.Person.Email
	}
	if ev.Person.Phone != "" && ev.Person.Phone[0] == '+' {
		prof["phone_number"] = ev.Person.Phone
	}
	if ev.Person.FirstName != "" {
		prof["first_name"] = ev.Person.FirstName
	}
	if ev.Person.LastName != "" {
		prof["last_name"] = ev.Person.LastName
	}
	if len(prof) == 0 && ev.Person.ExternalID == "" {
		return connectors.Permanent(fmt.Errorf("klaviyo: event %s names nobody Klaviyo can identify", ev.ID))
	}
	profData := map[string]any{"type": "profile", "attributes": prof}
	if ev.Person.ExternalID != "" {
		profData["id"] = ev.Person.ExternalID
	}
	props := map[string]any{}
	for k, v := range ev.Properties {
		props[k] = v
	}
	attrs := map[string]any{
		"properties": props, "time": ev.Time.UTC().Format("2006-01-02T15:04:05Z"), "unique_id": ev.ID,
		"metric":  map[string]any{"data": map[string]any{"type": "metric", "attributes": map[string]any{"name": ev.Type}}},
		"profile": map[string]any{"data": profData},
	}
	if s, ok := ev.Properties["total"].(string); ok && s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			attrs["value"] = v
			if cur, _ := ev.Properties["currency"].(string); cur != "" {
				attrs["value_currency"] = cur
			}
		}
	}
	if _, err := post(connectors.Idempotent(ctx), c.api.events, "/api/events", map[string]any{"data": map[string]any{"type": "event", "attributes": attrs}}, nil); err != nil {
		return fmt.Errorf("klaviyo: create event: %w", err)
	}
	return nil
}
