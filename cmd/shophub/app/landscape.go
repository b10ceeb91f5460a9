package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

// The landscape of `shophub dev`: beside Shopify and Shopware, a Magento
// shop (signed webhooks and polling), a Help Scout helpdesk (webhooks)
// and an Odoo ERP (polling), every one an in-process emulator. The seed
// makes people overlap: a Shopify customer also known to Magento and the
// ERP, with orders in two shops and a helpdesk ticket, so the console
// shows a person linked in five systems from the first minute.

// startLandscape starts the three further emulators and adds them to cfg.
func (d *Demo) startLandscape(o DemoOptions, cfg *config.Config) error {
	var err error
	d.Magento = magentotest.New(magentotest.Options{})
	if d.MagentoURL, err = d.serve(o.MagentoAddr, d.Magento.Handler()); err != nil {
		return fmt.Errorf("magento emulator: %w", err)
	}
	d.HelpScout = helpscouttest.New(helpscouttest.Options{WebhookSecret: DemoHelpScoutHMAC})
	if d.HelpScoutURL, err = d.serve(o.HelpScoutAddr, d.HelpScout.Handler()); err != nil {
		return fmt.Errorf("help scout emulator: %w", err)
	}
	d.Odoo = odootest.New(odootest.Options{})
	if d.OdooURL, err = d.serve(o.OdooAddr, d.Odoo.Handler()); err != nil {
		return fmt.Errorf("odoo emulator: %w", err)
	}
	poll := config.Duration(o.PollInterval)
	if poll == 0 {
		poll = config.Duration(time.Minute) // Odoo has no webhooks: it is polled or never heard
	}
	// An erasure shows every kind of step: the shops delete, the ERP
	// keeps its record (invoices) anonymized, the helpdesk deletes.
	for i := range cfg.Connectors {
		cfg.Connectors[i].Erasure = "delete"
	}
	cfg.Connectors = append(cfg.Connectors,
		config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(o.PollInterval), Erasure: "delete",
			Settings: map[string]any{"base_url": d.MagentoURL, "access_token": magentotest.DefaultIntegrationToken,
				"webhook_public_key": d.Magento.PublicKeyPEM()}},
		config.Connector{Name: "helpscout", Type: "helpscout", WebhookSecret: DemoHelpScoutHMAC, Erasure: "delete",
			// The emulator has no rate limit; the connector's pacing for
			// Help Scout's real one (200 units a minute) would make the
			// seed crawl into it.
			Settings: map[string]any{"base_url": d.HelpScoutURL, "client_id": helpscouttest.DefaultClientID,
				"client_secret": helpscouttest.DefaultClientSecret, "rate_per_minute": 6000}},
		config.Connector{Name: "odoo", Type: "odoo", PollInterval: poll, Erasure: "anonymize",
			Settings: map[string]any{"url": d.OdooURL, "api_key": odootest.DefaultAPIKey,
				"database": odootest.DefaultDatabase, "partners": "individuals"}},
	)
	if o.OXIDServer != "" {
		name := o.OXIDDatabase
		if name == "" {
			name = DevOXIDDatabase(cfg.Database)
		}
		dsn, err := oxidtest.Provision(o.OXIDServer, name)
		if err != nil {
			return fmt.Errorf("oxid shop: %w", err)
		}
		if d.OXID, err = oxidtest.Attach(dsn, seedFailer{}); err != nil {
			return fmt.Errorf("oxid shop: %w", err)
		}
		// OXID tells nobody of a change: it is polled, and a row gone is
		// found by the reconciliation sweep.
		oxidPoll := poll
		if oxidPoll > config.Duration(10*time.Second) {
			oxidPoll = config.Duration(10 * time.Second)
		}
		cfg.Connectors = append(cfg.Connectors, config.Connector{Name: "oxid", Type: "oxid", PollInterval: oxidPoll,
			Erasure: "delete", Settings: map[string]any{"dsn": dsn}})
	}
	cfg.ApplyDefaults()
	return nil
}

// DevOXIDDatabase is the name of dev's OXID shop database when none is
// given: shophub_dev_oxid_ and a hash of the hub's database (its SQLite
// file's absolute path, or its DSN). The shop is dropped and recreated at
// each start, so one fixed name let two dev runs, or tests, on one MySQL
// server wipe each other's shop; a name of its hub keeps them apart, and a
// restart on the same hub reuses its name instead of leaving a database
// behind per run.
func DevOXIDDatabase(hub config.Database) string {
	id := hub.Driver + ":" + hub.DSN
	if hub.Driver == "sqlite" {
		if abs, err := filepath.Abs(hub.DSN); err == nil {
			id = hub.Driver + ":" + abs
		}
	}
	sum := sha256.Sum256([]byte(id))
	return "shophub_dev_oxid_" + hex.EncodeToString(sum[:6])
}

// seedFailer turns a failed write of the OXID emulator, which reports to a
// test's Fatal, into a panic that seedOXID returns as an error.
type seedFailer struct{}

func (seedFailer) Helper()                           {}
func (seedFailer) Fatal(args ...any)                 { panic(seedError{fmt.Sprint(args...)}) }
func (seedFailer) Fatalf(format string, args ...any) { panic(seedError{fmt.Sprintf(format, args...)}) }

type seedError struct{ msg string }

// seedOXID puts the landscape's person into the OXID shop as its
// storefront would have registered her, with her street split the OXID
// way, and one customer only OXID knows yet.
func (d *Demo) seedOXID(anna map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(seedError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("seed oxid: %s", e.msg)
		}
	}()
	d.OXID.CreateCustomer(map[string]any{"OXUSERNAME": anna["email"], "OXFNAME": anna["first_name"], "OXLNAME": anna["last_name"],
		"OXSAL": "MRS", "OXSTREET": "Hauptstraße", "OXSTREETNR": "1", "OXZIP": "10115", "OXCITY": "Berlin",
		"OXCOUNTRYID": oxidtest.CountryDE})
	d.OXID.CreateCustomer(map[string]any{"OXUSERNAME": "lukas.gruber@example.at", "OXFNAME": "Lukas", "OXLNAME": "Gruber",
		"OXSAL": "MR", "OXSTREET": "Mariahilfer Straße", "OXSTREETNR": "12", "OXZIP": "1070", "OXCITY": "Wien",
		"OXCOUNTRYID": oxidtest.CountryAT})
	return nil
}

// LandscapeEmail is the person of the seed every system knows.
func LandscapeEmail() string { return DemoCustomer(0)["email"].(string) }

// seedLandscape adds what makes the systems overlap: the first demo
// customer also in Magento (as the shop's admin typed her; the ERP's
// record with a customer number is seedPolled's), orders in Shopify and
// Magento, a Help Scout conversation; and a few people only one system
// knows yet.
func (d *Demo) seedLandscape() error {
	if len(d.SeededIDs) == 0 {
		return nil
	}
	anna := DemoCustomer(0)
	email := anna["email"].(string)
	mageID := d.Magento.CreateCustomer(map[string]any{"email": email, "firstname": anna["first_name"], "lastname": anna["last_name"],
		"addresses": []any{map[string]any{"firstname": anna["first_name"], "lastname": anna["last_name"], "street": []any{"Hauptstraße 1"},
			"city": "Berlin", "postcode": "10115", "country_id": "DE", "telephone": anna["phone"],
			"default_billing": true, "default_shipping": true}}})
	if _, err := d.Shopify.CreateOrder(d.SeededIDs[0], email, "EUR", true,
		shopifytest.OrderLine{Title: "Wool scarf", Quantity: 1, Price: "39.90"},
		shopifytest.OrderLine{Title: "Gift wrap", Quantity: 1, Price: "4.50"}); err != nil {
		return fmt.Errorf("seed shopify order: %w", err)
	}
	if len(d.SeededIDs) > 1 {
		c := DemoCustomer(1)
		if _, err := d.Shopify.CreateOrder(d.SeededIDs[1], c["email"].(string), "EUR", false,
			shopifytest.OrderLine{Title: "Rain jacket", Quantity: 1, Price: "129.00"}); err != nil {
			return fmt.Errorf("seed shopify order: %w", err)
		}
	}
	if _, err := d.Magento.PlaceOrder(mageID, email, "EUR",
		magentotest.OrderLine{SKU: "MUG-01", Name: "Stoneware mug", Quantity: 2, Price: "14.00"}); err != nil {
		return fmt.Errorf("seed magento order: %w", err)
	}
	d.HelpScout.CreateConversation(email, "Where is my scarf?", "email", "shipping")
	// People only one system knows yet: they travel to the others.
	d.Magento.CreateCustomer(map[string]any{"email": "marie.dubois@example.fr", "firstname": "Marie", "lastname": "Dubois"})
	d.HelpScout.CreateConversation("jana.novak@example.cz", "Invoice address wrong", "email")
	return nil
}

// seedPolled seeds the systems that tell nobody of a change, the ERP and
// OXID, before shophub starts: their first poll then finds the seed. Seeded
// after the start, a first poll that ran before the seed left the ERP's
// record to the next one, a minute later at dev's interval.
func (d *Demo) seedPolled() error {
	anna := DemoCustomer(0)
	d.Odoo.CreateCustomer(map[string]any{"name": fmt.Sprintf("%s %s", anna["first_name"], anna["last_name"]), "email": anna["email"],
		"ref": "K10001", "street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country_code": "DE", "customer_rank": 1})
	d.Odoo.CreateCustomer(map[string]any{"name": "Karl Brenner", "email": "karl.brenner@example.de", "ref": "K10002",
		"city": "München", "zip": "80331", "country_code": "DE", "customer_rank": 1})
	if d.OXID != nil {
		return d.seedOXID(anna)
	}
	return nil
}
