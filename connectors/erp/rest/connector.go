// Package rest connects shophub to any ERP with a REST API for customers,
// described by a YAML profile (auth, endpoints, paging, the "changed since"
// filter, where records and their ids and times sit, rate-limit headers)
// instead of Go code. Type rest takes the profile by name or path; each
// shipped profile (connectors/erp/profiles: weclapp, xentral) is also
// registered as a type of its own name with its own default mapping.
package rest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/profiles"
)

// Type is the generic type; shipped profiles register under their names.
const Type = "rest"

// defaultMapping is the generic mapping of type rest: records that use the
// canonical field names (an in-house ERP built for it). Other shapes bring
// a mapping file (the instance's mapping key).
//
//go:embed mapping.yaml
var defaultMapping []byte

func init() {
	caps := connectors.Capabilities{Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer}}
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Any REST ERP described by a YAML profile (name of a shipped profile or a path): polling by a changed-since filter, create/update pushes.",
		Capabilities: caps,
		NewSettings:  func() any { return &Settings{PageSize: 0} },
		New:          newFor(""),
		Mapping:      defaultMapping,
	})
	for _, name := range profiles.Names() {
		src, _ := profiles.Profile(name)
		p, err := ParseProfile(src)
		if err != nil {
			panic(fmt.Sprintf("rest: shipped profile %s: %v", name, err))
		}
		m, ok := profiles.Mapping(name)
		if !ok {
			m = defaultMapping
		}
		connectors.Register(connectors.Registration{
			Type:         name,
			Doc:          p.Doc + " (REST profile connectors/erp/profiles/" + name + ".yaml)",
			Capabilities: caps,
			NewSettings:  func() any { return &Settings{Profile: name} },
			New:          newFor(name),
			Mapping:      m,
		})
	}
}

func newFor(preset string) func(connectors.Instance, any) (connectors.Connector, error) {
	return connectors.Constructor("rest", func(inst connectors.Instance, s Settings) (*Connector, error) {
		if preset != "" && s.Profile != preset {
			return nil, fmt.Errorf("%s: profile is fixed to %s by the type; use type rest for another profile", preset, preset)
		}
		return New(inst, s)
	})
}

// Settings configure one ERP instance.
type Settings struct {
	Profile string `yaml:"profile" doc:"Name of a shipped profile (weclapp, xentral, mailchimp, pipedrive) or path to a profile YAML file, relative to the config file's folder; fixed for the profile types"`
	BaseURL string `yaml:"base_url" doc:"API base URL, e.g. https://acme.weclapp.com/webapp/api/v1; default: the profile's"`
	// Token serves bearer and header auth.
	Token        string `yaml:"token" doc:"API token (auth bearer, header or query)" secret:"true"`
	Username     string `yaml:"username" doc:"User for auth basic"`
	Password     string `yaml:"password" doc:"Password for auth basic" secret:"true"`
	ClientID     string `yaml:"client_id" doc:"OAuth2 client id (auth oauth2, client credentials grant)"`
	ClientSecret string `yaml:"client_secret" doc:"OAuth2 client secret" secret:"true"`
	TokenURL     string `yaml:"token_url" doc:"OAuth2 token URL; default: the profile's"`
	PageSize     int    `yaml:"page_size" doc:"Records per page when polling; default 100, at most the profile's max_size"`
}

// Connector is one configured REST ERP.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	profile  *Profile
	http     *connectors.HTTPClient
	gate     *gate
	pageSize int
	typ      string
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	if s.Profile == "" {
		return nil, errors.New("rest: profile is required (a shipped profile's name or a path)")
	}
	p, err := LoadProfile(profilePath(inst.Dir, s.Profile))
	if err != nil {
		return nil, fmt.Errorf("rest: %w", err)
	}
	if s.BaseURL == "" {
		s.BaseURL = p.BaseURL
	}
	var errs []error
	if s.BaseURL, err = connectors.BaseURL("base_url", s.BaseURL, "https://erp.example.com/api"); err != nil {
		errs = append(errs, err)
	}
	switch p.Auth.Type {
	case "bearer", "header", "query":
		if strings.TrimSpace(s.Token) == "" {
			errs = append(errs, fmt.Errorf("token is required (auth %s)", p.Auth.Type))
		}
	case "basic":
		if s.Username == "" || s.Password == "" {
			errs = append(errs, errors.New("username and password are required (auth basic)"))
		}
	case "oauth2":
		if s.ClientID == "" || s.ClientSecret == "" {
			errs = append(errs, errors.New("client_id and client_secret are required (auth oauth2)"))
		}
		if s.TokenURL == "" {
			s.TokenURL = p.Auth.TokenURL
		}
		if s.TokenURL == "" {
			errs = append(errs, errors.New("token_url is required (auth oauth2)"))
		}
	}
	size := s.PageSize
	if size == 0 {
		size = min(100, p.Pagination.MaxSize)
	}
	if size < 1 || size > p.Pagination.MaxSize {
		errs = append(errs, fmt.Errorf("page_size %d: want 1–%d", size, p.Pagination.MaxSize))
	}
	typ := Type
	if _, shipped := profiles.Profile(s.Profile); shipped && inst.Type == s.Profile {
		typ = s.Profile
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	c := &Connector{inst: inst, settings: s, profile: p, pageSize: size, typ: typ, gate: &gate{}}
	c.http = c.newHTTPClient()
	return c, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return c.typ }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer}}
}

// Connect does not contact the ERP: the first call authenticates.
func (c *Connector) Connect(_ context.Context) error { return nil }

// Close releases nothing; safe to call any number of times.
func (c *Connector) Close() error { return nil }

var _ connectors.Connector = (*Connector)(nil)

// profilePath resolves a profile path written relative to the config
// file's folder dir; shipped profile names and absolute paths stay.
func profilePath(dir, nameOrPath string) string {
	if _, shipped := profiles.Profile(nameOrPath); shipped || dir == "" || filepath.IsAbs(nameOrPath) || !strings.ContainsAny(nameOrPath, "/\\.") {
		return nameOrPath
	}
	return filepath.Join(dir, nameOrPath)
}
