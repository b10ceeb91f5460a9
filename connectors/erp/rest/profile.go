package rest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shophub/shophub/connectors/erp/profiles"
)

// Profile describes one ERP's REST API for customers: everything an
// operator writes in YAML instead of Go. Shipped profiles live in
// connectors/erp/profiles; the fields are documented there by example.
type Profile struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	// BaseURL is a default; the instance's base_url setting wins.
	BaseURL string `yaml:"base_url"`
	Auth    struct {
		// Type is bearer, header (the token in Header, after Prefix),
		// query (the token in the query parameter Param), basic or oauth2
		// (client credentials at TokenURL).
		Type     string `yaml:"type"`
		Header   string `yaml:"header"`
		Prefix   string `yaml:"prefix"`
		Param    string `yaml:"param"`
		TokenURL string `yaml:"token_url"`
		Scope    string `yaml:"scope"`
	} `yaml:"auth"`
	Endpoints struct {
		List   Endpoint `yaml:"list"`
		Get    Endpoint `yaml:"get"`
		Create Endpoint `yaml:"create"`
		Update Endpoint `yaml:"update"`
		Delete Endpoint `yaml:"delete"`
		Find   Endpoint `yaml:"find"`
	} `yaml:"endpoints"`
	// ListQuery are fixed query parameters of every list request (sort).
	ListQuery  map[string]string `yaml:"list_query"`
	Pagination struct {
		// Style is page (page+size), offset (offset+limit), cursor (a token
		// from NextField sent back as CursorParam) or link (the Link
		// header's rel="next" URL).
		Style       string `yaml:"style"`
		PageParam   string `yaml:"page_param"`
		SizeParam   string `yaml:"size_param"`
		FirstPage   int    `yaml:"first_page"`
		OffsetParam string `yaml:"offset_param"`
		LimitParam  string `yaml:"limit_param"`
		CursorParam string `yaml:"cursor_param"`
		NextField   string `yaml:"next_field"`
		MaxSize     int    `yaml:"max_size"`
	} `yaml:"pagination"`
	ChangedSince struct {
		Param string `yaml:"param"`
		// Format is rfc3339, epoch_ms, epoch or sql (YYYY-MM-DD HH:MM:SS
		// in Zone).
		Format string `yaml:"format"`
		// Inclusive says the filter is >=; an exclusive one (>) is sent
		// one unit earlier so the cursor's instant is re-read.
		Inclusive bool   `yaml:"inclusive"`
		Zone      string `yaml:"zone"`
	} `yaml:"changed_since"`
	Records struct {
		// ListPath is where the records sit in a list answer (dotted;
		// empty: the answer is the array).
		ListPath      string `yaml:"list_path"`
		IDField       string `yaml:"id_field"`
		UpdatedField  string `yaml:"updated_field"`
		UpdatedFormat string `yaml:"updated_format"`
	} `yaml:"records"`
	// ListMerge names list fields whose pushed items patch the current
	// item flagged by the given key (addresses: invoiceAddress) instead of
	// replacing the list.
	ListMerge map[string]string `yaml:"list_merge"`
	RateLimit struct {
		RetryAfter string `yaml:"retry_after"`
		Remaining  string `yaml:"remaining"`
		// Reset is epoch seconds or seconds from now.
		Reset string `yaml:"reset"`
	} `yaml:"rate_limit"`
}

// Endpoint is one API call: method, path with {id}, fixed query, and
// where the record sits in the answer.
type Endpoint struct {
	Method   string            `yaml:"method"`
	Path     string            `yaml:"path"`
	Query    map[string]string `yaml:"query"`
	ItemPath string            `yaml:"item_path"`
	// Params (find only) maps a lookup key (email, customer_number) to the
	// query parameter that filters by it. A find path with {value} looks
	// the record up by the value in the path instead (one record answers,
	// 404 none).
	Params map[string]string `yaml:"params"`
	// ListPath (find only) is where the found records sit in the answer
	// (default records.list_path); ItemPath then is where the record sits
	// in each found item. A found item without the updated field (a
	// search hit) is read again by its id.
	ListPath string `yaml:"list_path"`
	// Partial (update only) sends only the changed fields, whatever the
	// method: an API whose PUT changes just what it is given.
	Partial bool `yaml:"partial"`
}

// LoadProfile reads a shipped profile by name or an operator's by path.
func LoadProfile(nameOrPath string) (*Profile, error) {
	src, ok := profiles.Profile(nameOrPath)
	file := "connectors/erp/profiles/" + nameOrPath + ".yaml"
	if !ok {
		if !strings.ContainsAny(nameOrPath, "/\\.") {
			return nil, fmt.Errorf("profile %q: no shipped profile of that name (known: %v) and not a path", nameOrPath, profiles.Names())
		}
		var err error
		if src, err = os.ReadFile(nameOrPath); err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		file = nameOrPath
	}
	p, err := ParseProfile(src)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", file, err)
	}
	return p, nil
}

// ParseProfile decodes and checks a profile, filling defaults.
func ParseProfile(src []byte) (*Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	return &p, p.check()
}

func (p *Profile) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch p.Auth.Type {
	case "bearer", "basic":
	case "header":
		if p.Auth.Header == "" {
			bad("auth: type header needs header (e.g. AuthenticationToken)")
		}
	case "query":
		if p.Auth.Param == "" {
			bad("auth: type query needs param (e.g. api_token)")
		}
	case "oauth2":
	default:
		bad("auth.type %q: want bearer, header, query, basic or oauth2", p.Auth.Type)
	}
	eps := map[string]*Endpoint{"list": &p.Endpoints.List, "get": &p.Endpoints.Get, "create": &p.Endpoints.Create,
		"update": &p.Endpoints.Update, "delete": &p.Endpoints.Delete, "find": &p.Endpoints.Find}
	defaults := map[string]string{"list": "GET", "get": "GET", "create": "POST", "update": "PUT", "delete": "DELETE", "find": "GET"}
	for name, ep := range eps {
		if ep.Method == "" {
			ep.Method = defaults[name]
		}
		ep.Method = strings.ToUpper(ep.Method)
		needID := name == "get" || name == "update" || name == "delete"
		switch {
		case ep.Path == "" && (name == "list" || name == "get" || name == "create" || name == "update"):
			bad("endpoints.%s.path is required", name)
		case ep.Path != "" && !strings.HasPrefix(ep.Path, "/"):
			bad("endpoints.%s.path %q: want a path starting with /", name, ep.Path)
		case ep.Path != "" && needID && !strings.Contains(ep.Path, "{id}"):
			bad("endpoints.%s.path %q: needs the {id} placeholder", name, ep.Path)
		case name == "find" && strings.Contains(ep.Path, "{value}") && len(ep.Params) != 1:
			bad("endpoints.find: a path with {value} needs params naming its one key (e.g. {email: email})")
		}
	}
	pg := &p.Pagination
	switch pg.Style {
	case "page":
		if pg.PageParam == "" || pg.SizeParam == "" {
			bad("pagination: style page needs page_param and size_param")
		}
	case "offset":
		if pg.OffsetParam == "" || pg.LimitParam == "" {
			bad("pagination: style offset needs offset_param and limit_param")
		}
	case "cursor":
		if pg.CursorParam == "" || pg.NextField == "" {
			bad("pagination: style cursor needs cursor_param and next_field")
		}
	case "link":
	default:
		bad("pagination.style %q: want page, offset, cursor or link", pg.Style)
	}
	if pg.MaxSize == 0 {
		pg.MaxSize = 1000
	}
	if p.ChangedSince.Param == "" {
		bad("changed_since.param is required: without it every poll would read everything")
	}
	if !validFormat(p.ChangedSince.Format) {
		bad("changed_since.format %q: want rfc3339, epoch_ms, epoch or sql", p.ChangedSince.Format)
	}
	if p.Records.IDField == "" {
		p.Records.IDField = "id"
	}
	if p.Records.UpdatedField == "" {
		bad("records.updated_field is required")
	}
	if p.Records.UpdatedFormat == "" {
		p.Records.UpdatedFormat = p.ChangedSince.Format
	}
	if !validFormat(p.Records.UpdatedFormat) {
		bad("records.updated_format %q: want rfc3339, epoch_ms, epoch or sql", p.Records.UpdatedFormat)
	}
	if _, err := zone(p.ChangedSince.Zone); err != nil {
		bad("changed_since.zone: %v", err)
	}
	return errors.Join(errs...)
}

func validFormat(f string) bool {
	switch f {
	case "rfc3339", "epoch_ms", "epoch", "sql":
		return true
	}
	return false
}
