package rest_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/profiles"
	"github.com/shophub/shophub/connectors/erp/rest"
	"github.com/shophub/shophub/connectors/erp/rest/resttest"
)

// TestYAMLOnlySystems: systems described only in YAML — a shipped profile
// and its mapping, no Go — pass the conformance kit against an emulator
// served from the same profile (resttest.FromProfile). The Go here only
// says what a record looks like to the emulator and the kit.
func TestYAMLOnlySystems(t *testing.T) {
	for _, sys := range []struct {
		name     string
		typ      string // default: name (a shipped profile's type)
		settings map[string]any
		opts     resttest.ProfileOptions
		create   func(i int) map[string]any
		field    string
		value    any
	}{
		{
			name:     "mailchimp",
			settings: map[string]any{"username": resttest.DefaultUser, "password": resttest.DefaultPassword},
			opts: resttest.ProfileOptions{EmailPath: "email_address", Seed: func(i int, first, last, email string) map[string]any {
				return map[string]any{"email_address": email, "status": "subscribed", "merge_fields": map[string]any{"FNAME": first, "LNAME": last}}
			}},
			create: func(i int) map[string]any {
				return map[string]any{"email_address": fmt.Sprintf("kit-%d@example.com", i), "status": "subscribed",
					"merge_fields": map[string]any{"FNAME": "Kit", "LNAME": fmt.Sprint(i)}}
			},
			field: "status", value: "unsubscribed",
		},
		{
			name:     "pipedrive",
			settings: map[string]any{"token": resttest.DefaultToken},
			opts: resttest.ProfileOptions{EmailPath: "emails.0.value", Seed: func(i int, first, last, email string) map[string]any {
				return map[string]any{"name": first + " " + last, "first_name": first, "last_name": last,
					"emails": []any{map[string]any{"value": email, "primary": true, "label": "work"}}}
			}},
			create: func(i int) map[string]any {
				return map[string]any{"name": fmt.Sprintf("Kit %d", i), "first_name": "Kit", "last_name": fmt.Sprint(i),
					"emails": []any{map[string]any{"value": fmt.Sprintf("kit-%d@example.com", i), "primary": true, "label": "work"}}}
			},
			field: "first_name", value: "Updated",
		},
		{
			name: "testdata/inhouse-query.yaml", typ: "rest",
			settings: map[string]any{"profile": "testdata/inhouse-query.yaml", "token": resttest.DefaultToken},
			opts: resttest.ProfileOptions{EmailPath: "email", Seed: func(i int, first, last, email string) map[string]any {
				return map[string]any{"email": email, "first_name": first, "last_name": last}
			}},
			create: func(i int) map[string]any {
				return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "first_name": "Kit", "last_name": fmt.Sprint(i)}
			},
			field: "first_name", value: "Updated",
		},
	} {
		t.Run(sys.name, func(t *testing.T) {
			typ := sys.typ
			if typ == "" {
				typ = sys.name
			}
			src, ok := profiles.Profile(sys.name)
			if !ok {
				var err error
				if src, err = os.ReadFile(sys.name); err != nil {
					t.Fatal(err)
				}
			}
			p, err := rest.ParseProfile(src)
			if err != nil {
				t.Fatal(err)
			}
			emu := resttest.FromProfile(p, sys.opts)
			url := connectortest.Start(t, emu)
			const pageSize = 5
			build := func(t *testing.T) connectors.Connector {
				s := map[string]any{"base_url": url, "page_size": pageSize}
				for k, v := range sys.settings {
					s[k] = v
				}
				return connectortest.Connect(t, connectors.Instance{Name: "yaml-only-test", Type: typ, RateLimit: -1}, s)
			}
			connectortest.Run(t, connectortest.Env{
				Connector: build(t),
				Reconnect: build,
				PageSize:  pageSize,
				Lookback:  5 * time.Second, // the REST connector's default poll look-back
				Touch: func(t *testing.T, id string) {
					if err := emu.Update(id, map[string]any{"touched": time.Now().UnixNano()}); err != nil {
						t.Fatal(err)
					}
				},
				CreatePayload: sys.create,
				UpdatePayload: func(int) map[string]any { return map[string]any{sys.field: sys.value} },
				UpdatedField:  sys.field,
				UpdatedValue:  sys.value,
				Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
			}.WithEmulator(emu))
		})
	}
}
