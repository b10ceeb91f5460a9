package app_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/mappings"
)

var issue13All = flag.Bool("issue13.all", false, "run the cross-system tests on every field and schedule feature, also those issue13Pending leaves out")

// issue13Pending lists what main does not keep yet, each with the rule of
// issue 13 it breaks and how it shows. A field (path) here is left out of
// the fixtures' distinct values, the convergence schedule and the checks
// of TestSixWayCustomerKeepsEveryField and TestConvergence; a schedule
// feature is left out of TestConvergence. When a fix lands on main, its
// entry goes: the list only shrinks. -issue13.all runs everything.
var issue13Pending = map[string]string{
	// Fields (paths): out of the edits, the fixture's distinct values and
	// the checks.
	"phone": "coverage: Magento holds the customer phone only as the default billing address's telephone " +
		"and Shopware only as the billing address's phoneNumber; their echoes assert one for the other, " +
		"so a phone edit anywhere flips the hub's phone and address phone back and forth",
	"billing_address.phone": "coverage: as phone; an address phone unlike the customer phone is overwritten " +
		"by the Magento and Shopware echoes",
	"billing_address.region": "region: Shopware (no states mapped) and OXID echo an address without region, " +
		"and addresses merge as one value, so the region is wiped everywhere; " +
		"the hub holds Shopify's province name but Magento's region code",
	"billing_address.first_name": "coverage: OXID and Odoo keep the billing address's names in the customer's " +
		"name columns; their echo sets the address names to the customer's",
	"billing_address.last_name": "as billing_address.first_name",
	"customer_number": "coverage: OXID numbers every customer itself (OXCUSTNR) and the hub takes that " +
		"number as the customer number, which then reaches Shopify's note",

	// Schedule features.
	"concurrent": "order within a second / stale echo: with edits not waiting for the previous one to settle, " +
		"the echo of an older push to Shopify (updated_at in whole seconds) ties with a newer Magento edit " +
		"of the same second and wins, so the hub ends on the old value while Shopify and Magento hold the new one " +
		"(seed 4: billing_address.street)",
}

func pending(name string) bool {
	_, ok := issue13Pending[name]
	return ok && !*issue13All
}

// The six touchpoints of the cross-system tests, by instance name.
const (
	tpShopify   = "shopify"
	tpShopware  = "shopware"
	tpMagento   = "magento"
	tpOXID      = "oxid"
	tpHelpScout = "helpscout"
	tpOdoo      = "odoo"
)

var sixTouchpoints = []string{tpShopify, tpShopware, tpMagento, tpOXID, tpHelpScout, tpOdoo}

// sixEnv is shophub wired to all six emulators at once: Shopify, Shopware
// and Help Scout by webhook, Magento by signed webhook and polling, OXID
// (a real OXID schema on the test MariaDB) and Odoo by polling.
type sixEnv struct {
	*env
	mage *magentotest.Emulator
	oxid *oxidtest.Shop
	hs   *helpscouttest.Emulator
	odoo *odootest.Emulator
}

type sixOptions struct {
	// poll is the poll interval of each polling touchpoint (default 1 s);
	// a touchpoint missing from the map gets the default.
	poll map[string]time.Duration
	// webhookVia, when set, returns the URL an emulator delivers its
	// webhooks to instead of shophub's own (a chaos proxy in front of it).
	webhookVia func(instance, url string) string
}

func newSixEnv(t *testing.T, o sixOptions) *sixEnv {
	t.Helper()
	s := &sixEnv{oxid: oxidtest.New(t)} // skips without a MariaDB: OXID is a database
	s.mage = magentotest.New(magentotest.Options{})
	mageURL := s.mage.Start()
	t.Cleanup(s.mage.Close)
	s.hs = helpscouttest.New(helpscouttest.Options{WebhookSecret: hsSecret})
	hsURL := s.hs.Start()
	t.Cleanup(s.hs.Close)
	s.odoo = odootest.New(odootest.Options{})
	odooURL := s.odoo.Start()
	t.Cleanup(s.odoo.Close)
	poll := func(name string) config.Duration {
		if d, ok := o.poll[name]; ok {
			return config.Duration(d)
		}
		return config.Duration(time.Second)
	}
	s.env = newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors,
			config.Connector{Name: tpMagento, Type: "magento", PollInterval: poll(tpMagento),
				Settings: map[string]any{"base_url": mageURL, "access_token": magentotest.DefaultIntegrationToken,
					"page_size": 50, "webhook_public_key": s.mage.PublicKeyPEM()}},
			config.Connector{Name: tpOXID, Type: "oxid", PollInterval: poll(tpOXID),
				Settings: map[string]any{"dsn": oxidtest.RestrictedDSN(t, s.oxid.DSN), "page_size": 50}},
			config.Connector{Name: tpHelpScout, Type: "helpscout", WebhookSecret: hsSecret,
				Settings: map[string]any{"base_url": hsURL, "client_id": helpscouttest.DefaultClientID,
					"client_secret": helpscouttest.DefaultClientSecret}},
			config.Connector{Name: tpOdoo, Type: "odoo", PollInterval: poll(tpOdoo), WebhookSecret: odooSecret,
				Settings: map[string]any{"url": odooURL, "api_key": odootest.DefaultAPIKey,
					"database": odootest.DefaultDatabase, "partners": "individuals", "page_size": 50}},
		)
		c.ApplyDefaults()
	}})
	via := func(name, url string) string {
		if o.webhookVia != nil {
			return o.webhookVia(name, url)
		}
		return url
	}
	base := s.app.URL() + "/webhooks/"
	s.shopify.SetWebhookURL(via(tpShopify, base+tpShopify))
	s.shopware.SetWebhookURL(via(tpShopware, base+tpShopware))
	s.mage.SetWebhookURL(via(tpMagento, base+tpMagento))
	s.hs.SetWebhookURL(via(tpHelpScout, base+tpHelpScout))
	return s
}

// view is what a touchpoint holds of a customer, as canonical fields: the
// record re-read through its connector and mapped by its inbound mapping,
// which is exactly what the hub would take from it on its next read.
func (s *sixEnv) view(t *testing.T, instance, externalID string) mappings.Doc {
	t.Helper()
	tp, ok := s.app.Points.Get(instance)
	if !ok {
		t.Fatalf("no touchpoint %s", instance)
	}
	f, ok := tp.Conn.(connectors.Fetcher)
	if !ok {
		t.Fatalf("%s cannot re-read a record", instance)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := f.Fetch(ctx, connectors.ResourceCustomer, externalID)
	if err != nil {
		t.Fatalf("re-read %s customer %s: %v", instance, externalID, err)
	}
	doc, err := tp.Mapping.Inbound(connectors.ResourceCustomer, rec.Data)
	if err != nil {
		t.Fatalf("map %s customer %s: %v", instance, externalID, err)
	}
	if tp.Config.Type == "oxid" && doc["shipping_address"] == nil && doc["billing_address"] != nil {
		// An OXID customer without a delivery address ships to the
		// billing address (the writer creates none that equals it).
		doc["shipping_address"] = doc["billing_address"]
	}
	return doc
}

// requests counts every vendor API call of the six emulators (OXID is a
// database: its rows' OXTIMESTAMP shows writes instead).
func (s *sixEnv) requests() map[string]int64 {
	return map[string]int64{
		tpShopify:   s.shopify.Requests(),
		tpShopware:  s.shopware.Requests(),
		tpMagento:   s.mage.Requests(),
		tpHelpScout: s.hs.Stats().Requests,
		tpOdoo:      s.odoo.Requests(),
	}
}

// coverage is what a touchpoint can hold of the canonical customer, as
// paths: a top-level field ("phone") or an address sub-field
// ("billing_address.region").
type coverage map[string]bool

// coverageOf is the touchpoint's coverage. Until (*mappings.Mapping).Coverage
// lands it is derived from the default mapping's inbound fields
// (Mapping.Fields) with the address sub-fields and shared vendor slots
// declared in declaredCoverage below.
func (s *sixEnv) coverageOf(t *testing.T, instance string) coverage {
	t.Helper()
	tp, ok := s.app.Points.Get(instance)
	if !ok {
		t.Fatalf("no touchpoint %s", instance)
	}
	d := declaredCoverage[tp.Config.Type]
	cov := coverage{}
	for _, f := range tp.Mapping.Fields(connectors.ResourceCustomer) {
		if !tp.Mapping.HasOutbound(connectors.ResourceCustomer) || d.notWritten[f] || d.shared[f] {
			continue
		}
		if ff, _ := mappings.CustomerField(f); ff.Kind == mappings.KindAddress {
			for _, k := range mappings.AddressKeys {
				if p := f + "." + k; !d.lacks[p] && !d.shared[p] {
					cov[p] = true
				}
			}
			continue
		}
		cov[f] = true
	}
	return cov
}

// declared is what a default mapping says in YAML comments but not yet in
// rules: address sub-fields its address object lacks, fields it reads but
// never writes, and canonical fields it keeps in one vendor slot with
// another field (the slot belongs to the field named in the comment; the
// other cannot be held apart from it).
type declared struct {
	lacks      map[string]bool
	notWritten map[string]bool
	shared     map[string]bool
}

func set(paths ...string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		m[p] = true
	}
	return m
}

var declaredCoverage = map[string]declared{
	// Shopify keeps company on the default address: company and
	// billing_address.company are one slot (the address's).
	"shopify": {shared: set("company")},
	// Shopware: no region (country states not mapped), customerNumber
	// written but never read; its only phone is the billing address's,
	// which holds the customer's phone.
	"shopware": {lacks: set("billing_address.region", "shipping_address.region"),
		shared: set("billing_address.phone")},
	// Magento keeps phone and company on the default billing address only.
	"magento": {shared: set("phone", "company")},
	// OXID: no region (OXSTATEID not mapped); the customer row holds the
	// billing address, so its names, company and phone are the customer's.
	"oxid": {lacks: set("billing_address.region", "shipping_address.region"),
		notWritten: set("customer_number"),
		shared: set("billing_address.first_name", "billing_address.last_name", "billing_address.company",
			"billing_address.phone")},
	// Help Scout reads no address (and its address has no names).
	"helpscout": {},
	// Odoo: the partner's ref is read, never written; its address has no
	// phone and its names and company are the partner's.
	"odoo": {lacks: set("billing_address.phone"), notWritten: set("customer_number"),
		shared: set("billing_address.first_name", "billing_address.last_name", "billing_address.company")},
}

// settled is the coverage without the pending paths.
func (c coverage) settled() coverage {
	out := coverage{}
	for p := range c {
		if !pending(p) {
			out[p] = true
		}
	}
	return out
}

// valueAt reads a coverage path from a canonical doc.
func valueAt(doc map[string]any, path string) any {
	field, sub, isSub := strings.Cut(path, ".")
	v := doc[field]
	if !isSub {
		return v
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	return m[sub]
}

// canon makes values comparable: JSON shapes, absent and "" alike (a
// system that holds a field empty holds what the hub holds absent), tags
// as a sorted list.
func canon(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var x any
	_ = json.Unmarshal(b, &x)
	if m, ok := x.(map[string]any); ok && len(m) == 1 && m["subscribed"] == false {
		// A consent "not subscribed", never given nor withdrawn, is what a
		// system without a consent record (OXID without a newsletter row)
		// holds too.
		return ""
	}
	if l, ok := x.([]any); ok {
		if len(l) == 0 {
			return ""
		}
		ss := make([]string, len(l))
		for i, e := range l {
			ss[i] = fmt.Sprint(e)
		}
		sort.Strings(ss)
		return strings.Join(ss, ",")
	}
	b, _ = json.Marshal(x)
	return string(b)
}

func sameValue(a, b any) bool { return canon(a) == canon(b) || reflect.DeepEqual(a, b) }

// diffOnCoverage lists the coverage paths where a touchpoint's view
// differs from the hub's record.
func diffOnCoverage(cov coverage, hub, view map[string]any) []string {
	var out []string
	for p := range cov {
		if !sameValue(valueAt(hub, p), valueAt(view, p)) {
			out = append(out, fmt.Sprintf("%s: hub %q, touchpoint %q", p, canon(valueAt(hub, p)), canon(valueAt(view, p))))
		}
	}
	sort.Strings(out)
	return out
}

// links returns the customer's external id at every touchpoint ("" where
// it has none).
func (s *sixEnv) links(t *testing.T, customerID uint64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range sixTouchpoints {
		out[n] = s.linkOf(t, customerID, n)
	}
	return out
}
