package customshop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// record reads one customer of the shop's API.
func record(data map[string]any) (connectors.Record, error) {
	id := fmt.Sprint(data["id"])
	if data["id"] == nil || id == "" {
		return connectors.Record{}, errors.New("customer without id")
	}
	s, _ := data["updated_at"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return connectors.Record{}, fmt.Errorf("customer %s: updated_at %q: want RFC 3339", id, s)
	}
	return connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: id, UpdatedAt: t, Data: data}, nil
}

func (c *Connector) customer(ctx context.Context, method, path string, body any) (*connectors.Record, error) {
	var out map[string]any
	resp, err := c.http.Do(ctx, method, path, body, nil)
	if err != nil {
		return nil, err
	}
	if err := connectors.DecodeJSON(resp.Body(), &out); err != nil {
		return nil, fmt.Errorf("%s %s: answer: %w", method, path, err)
	}
	rec, err := record(out)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return &rec, nil
}

func onlyCustomers(resource string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("%s: no %q records", Type, resource))
	}
	return nil
}

// Fetch re-reads one customer; an unknown id wraps connectors.ErrNotFound
// (the HTTP client's error says 404).
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if err := onlyCustomers(resource); err != nil {
		return nil, err
	}
	rec, err := c.customer(ctx, http.MethodGet, "/customers/"+url.PathEscape(externalID), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: fetch customer %s: %w", Type, externalID, err)
	}
	return rec, nil
}

// Upsert creates a customer (externalID "") or patches the fields of the
// payload that differ from what the shop holds; a payload that changes
// nothing writes nothing, so an echo of shophub's own push ends here.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if err := onlyCustomers(resource); err != nil {
		return nil, err
	}
	if externalID == "" {
		rec, err := c.customer(ctx, http.MethodPost, "/customers", payload)
		if err != nil {
			return nil, fmt.Errorf("%s: create customer: %w", Type, err)
		}
		return rec, nil
	}
	cur, err := c.Fetch(ctx, resource, externalID)
	if err != nil {
		return nil, err
	}
	changed := map[string]any{}
	for k, v := range payload {
		if !connectors.SameJSON(cur.Data[k], v) {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return cur, nil
	}
	rec, err := c.customer(ctx, http.MethodPatch, "/customers/"+url.PathEscape(externalID), changed)
	if err != nil {
		return nil, fmt.Errorf("%s: update customer %s: %w", Type, externalID, err)
	}
	return rec, nil
}

// Delete removes a customer; one already gone counts as deleted.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if err := onlyCustomers(resource); err != nil {
		return err
	}
	_, err := c.http.Do(ctx, http.MethodDelete, "/customers/"+url.PathEscape(externalID), nil, nil)
	if err != nil && !errors.Is(err, connectors.ErrNotFound) {
		return fmt.Errorf("%s: delete customer %s: %w", Type, externalID, err)
	}
	return nil
}

// FindBy finds a customer by email, so a push to a shop that already
// knows the person links instead of duplicating.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if err := onlyCustomers(resource); err != nil {
		return nil, err
	}
	if key != "email" {
		return nil, connectors.Permanent(fmt.Errorf("%s: cannot find customers by %q", Type, key))
	}
	if strings.TrimSpace(value) == "" {
		return nil, fmt.Errorf("%s: find by empty email: %w", Type, connectors.ErrNotFound)
	}
	var out struct {
		Customers []map[string]any `json:"customers"`
	}
	resp, err := c.http.DoRequest(ctx, http.MethodGet, "/customers", connectors.JSONRequest(url.Values{"email": {value}}, nil), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: find customer: %w", Type, err)
	}
	if err := connectors.DecodeJSON(resp.Body(), &out); err != nil {
		return nil, fmt.Errorf("%s: find customer: answer: %w", Type, err)
	}
	if len(out.Customers) == 0 {
		return nil, fmt.Errorf("%s: no customer with that email: %w", Type, connectors.ErrNotFound)
	}
	rec, err := record(out.Customers[0])
	if err != nil {
		return nil, fmt.Errorf("%s: find customer: %w", Type, err)
	}
	return &rec, nil
}

var (
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)
