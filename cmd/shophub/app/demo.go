package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
)

// DemoOptions configure a self-contained shophub: the emulators, the hub
// and the queue in one process.
type DemoOptions struct {
	// Listen is shophub's HTTP address (":8080"); "" picks a free port.
	Listen string
	// The emulators' addresses; "" picks free ports.
	ShopifyAddr, ShopwareAddr, MagentoAddr, HelpScoutAddr, OdooAddr string
	// Landscape adds Magento, Help Scout and Odoo to Shopify and Shopware,
	// seeded so that people overlap across the systems (shophub dev).
	Landscape bool
	// OXIDServer, with Landscape, adds an OXID shop: OXID is database-based,
	// so dev creates its database (OXIDDatabase, default DevOXIDDatabase of
	// the hub's database, dropped and recreated at each start) on this
	// MySQL/MariaDB server.
	OXIDServer, OXIDDatabase string
	// Driver and DSN select the hub database; default a SQLite file in Dir.
	Driver, DSN string
	Dir         string
	// Redis is the queue; nil starts an in-process Redis-protocol server.
	Redis redis.UniversalClient
	// Seed demo customers created in the Shopify emulator at start.
	Seed int
	// PollInterval for both connectors; 0 leaves changes to webhooks.
	PollInterval time.Duration
	// AdminToken for /api (default "dev-token").
	AdminToken string
	Log        *slog.Logger
	// Tune adjusts the generated config before start (tests).
	Tune func(*config.Config)
}

// Demo is a running demo environment.
type Demo struct {
	*App
	Shopify     *shopifytest.Emulator
	Shopware    *shopwaretest.Emulator
	ShopifyURL  string
	ShopwareURL string
	// With Landscape: the other emulators.
	Magento                           *magentotest.Emulator
	HelpScout                         *helpscouttest.Emulator
	Odoo                              *odootest.Emulator
	MagentoURL, HelpScoutURL, OdooURL string
	// With Landscape and OXIDServer: the OXID shop's database.
	OXID *oxidtest.Shop
	// SeededIDs are the Shopify ids of the demo customers.
	SeededIDs []string
	// AbroadIDs are the Shopify ids of DemoAbroad's customers.
	AbroadIDs []string

	servers  []*http.Server
	mr       *miniredis.Miniredis
	ownRedis *redis.Client
	stop     chan struct{}
}

// Demo credentials: the emulators accept these, the generated config uses them.
const (
	DemoShopifyToken    = "shpat_dev_token"
	DemoShopifySecret   = "dev-shopify-app-secret"
	DemoShopwareID      = "SWIADEVCLIENTID"
	DemoShopwareSecret  = "dev-shopware-client-secret"
	DemoShopwareAppHMAC = "dev-shopware-app-secret"
	DemoHelpScoutHMAC   = "dev-helpscout-webhook-secret"
)

// StartDemo starts everything and seeds demo customers.
//
// On failure, what already started is stopped. The result is unnamed: a
// named one is set to nil by `return nil, err` before the deferred Close
// runs, which then panicked on a taken port instead of saying so.
func StartDemo(ctx context.Context, o DemoOptions) (_ *Demo, err error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.AdminToken == "" {
		o.AdminToken = "dev-token"
	}
	d := &Demo{stop: make(chan struct{})}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if o.Redis == nil {
		d.mr = miniredis.NewMiniRedis()
		if err := d.mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("in-process redis: %w", err)
		}
		go d.clock()
		d.ownRedis = redis.NewClient(&redis.Options{Addr: d.mr.Addr()})
		o.Redis = d.ownRedis
	}

	d.Shopify = shopifytest.New(shopifytest.Options{AccessToken: DemoShopifyToken, WebhookSecret: DemoShopifySecret})
	if d.ShopifyURL, err = d.serve(o.ShopifyAddr, d.Shopify.Handler()); err != nil {
		return nil, fmt.Errorf("shopify emulator: %w", err)
	}
	d.Shopware = shopwaretest.New(shopwaretest.Options{ClientID: DemoShopwareID, ClientSecret: DemoShopwareSecret, AppSecret: DemoShopwareAppHMAC})
	if d.ShopwareURL, err = d.serve(o.ShopwareAddr, d.Shopware.Handler()); err != nil {
		return nil, fmt.Errorf("shopware emulator: %w", err)
	}

	cfg := DemoConfig(o, d.ShopifyURL, d.ShopwareURL)
	if o.Landscape {
		if err := d.startLandscape(o, cfg); err != nil {
			return nil, err
		}
	}
	if o.Landscape && o.Seed > 0 {
		if err := d.seedPolled(); err != nil {
			return nil, err
		}
	}
	if o.Tune != nil {
		o.Tune(cfg)
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", listen, err)
	}
	a, err := New(ctx, Options{Config: cfg, Log: o.Log, Serve: true, Work: true, Listener: l, Redis: o.Redis, Migrate: true})
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	d.App = a
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	d.Shopify.SetWebhookURL(a.URL() + "/webhooks/shopify")
	d.Shopware.SetWebhookURL(a.URL() + "/webhooks/shopware")
	for i := 0; i < o.Seed; i++ {
		d.SeededIDs = append(d.SeededIDs, d.Shopify.CreateCustomer(DemoCustomer(i)))
	}
	if o.Seed > 0 {
		for _, c := range DemoAbroad() {
			d.AbroadIDs = append(d.AbroadIDs, d.Shopify.CreateCustomer(c))
		}
	}
	if o.Landscape {
		d.Magento.SetWebhookURL(a.URL() + "/webhooks/magento")
		d.HelpScout.SetWebhookURL(a.URL() + "/webhooks/helpscout")
		if err := d.seedLandscape(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// DemoConfig is the configuration `shophub dev` runs on.
func DemoConfig(o DemoOptions, shopifyURL, shopwareURL string) *config.Config {
	driver, dsn := o.Driver, o.DSN
	if driver == "" {
		driver = "sqlite"
		dir := o.Dir
		if dir == "" {
			dir = ".shophub"
		}
		dsn = filepath.Join(dir, "dev.db")
	}
	cfg := &config.Config{
		File:     "(shophub dev)",
		Server:   config.Server{Listen: o.Listen, AdminToken: o.AdminToken},
		Database: config.Database{Driver: driver, DSN: dsn},
		Hub:      config.Hub{DefaultRegion: "DE"},
		Connectors: []config.Connector{
			{
				Name: "shopify", Type: "shopify", PollInterval: config.Duration(o.PollInterval),
				Resources:     []string{"customer", "order"},
				WebhookSecret: DemoShopifySecret,
				Settings: map[string]any{"shop_url": shopifyURL, "access_token": DemoShopifyToken,
					"shop_domain": shopifytest.DefaultShopDomain},
			},
			{
				Name: "shopware", Type: "shopware", PollInterval: config.Duration(o.PollInterval),
				Resources:     []string{"customer", "order"},
				WebhookSecret: DemoShopwareAppHMAC,
				Settings:      map[string]any{"url": shopwareURL, "client_id": DemoShopwareID, "client_secret": DemoShopwareSecret},
			},
		},
	}
	cfg.ApplyDefaults()
	return cfg
}

var demoNames = [][2]string{
	{"Anna", "Schmidt"}, {"Lukas", "Müller"}, {"Sofia", "Weber"}, {"Jonas", "Fischer"}, {"Mia", "Wagner"},
	{"Leon", "Becker"}, {"Emma", "Hoffmann"}, {"Paul", "Schäfer"}, {"Hannah", "Koch"}, {"Felix", "Richter"},
}

// DemoCustomer is a Shopify-shaped customer for demos and tests.
func DemoCustomer(i int) map[string]any {
	n := demoNames[i%len(demoNames)]
	return map[string]any{
		"email":      fmt.Sprintf("%s.%s.%d@example.com", lower(n[0]), lower(n[1]), i),
		"first_name": n[0],
		"last_name":  n[1],
		"phone":      fmt.Sprintf("+4930%07d", 1000000+i),
		"tags":       "demo",
		"addresses": []any{map[string]any{
			"address1": fmt.Sprintf("Hauptstraße %d", i+1), "city": "Berlin", "zip": "10115",
			"country_code": "DE", "first_name": n[0], "last_name": n[1], "default": true,
		}},
	}
}

// DemoAbroad are demo customers outside Germany, with their phones written
// as people there write them: a Canadian in Ontario and an Austrian in
// Vienna. Their numbers reach Shopware in E.164 of their own country
// (+1…, +43…), never with Germany's +49, and their regions as Shopware's
// country states (CA-ON, AT-9).
func DemoAbroad() []map[string]any {
	return []map[string]any{
		{
			"email": "chloe.tremblay@example.ca", "first_name": "Chloé", "last_name": "Tremblay", "tags": "demo",
			"addresses": []any{map[string]any{
				"address1": "100 Queen St W", "city": "Toronto", "zip": "M5H 2N2", "province": "Ontario", "province_code": "ON",
				"country_code": "CA", "first_name": "Chloé", "last_name": "Tremblay", "phone": "416-555-0199", "default": true,
			}},
		},
		{
			"email": "lukas.gruber@example.at", "first_name": "Lukas", "last_name": "Gruber", "tags": "demo",
			"addresses": []any{map[string]any{
				"address1": "Mariahilfer Straße 1", "city": "Wien", "zip": "1060", "province": "Wien",
				"country_code": "AT", "first_name": "Lukas", "last_name": "Gruber", "phone": "0664 1234567", "default": true,
			}},
		},
	}
}

func lower(s string) string {
	out := []rune{}
	for _, r := range s {
		switch r {
		case 'ä':
			out = append(out, 'a', 'e')
		case 'ö':
			out = append(out, 'o', 'e')
		case 'ü':
			out = append(out, 'u', 'e')
		default:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			out = append(out, r)
		}
	}
	return string(out)
}

func (d *Demo) serve(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

// clock ages the in-process Redis's keys in real time: miniredis only
// expires keys when told, and asynq's locks and leases need expiry.
func (d *Demo) clock() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			d.mr.FastForward(100 * time.Millisecond)
		}
	}
}

// Close stops shophub, the emulators and the in-process Redis.
func (d *Demo) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if d.App != nil {
		errs = append(errs, d.App.Shutdown(ctx))
	}
	if d.Shopify != nil {
		d.Shopify.Close()
	}
	if d.Shopware != nil {
		d.Shopware.Close()
	}
	if d.Magento != nil {
		d.Magento.Close()
	}
	if d.HelpScout != nil {
		d.HelpScout.Close()
	}
	if d.OXID != nil {
		_ = d.OXID.DB.Close()
	}
	if d.Odoo != nil {
		d.Odoo.Close()
	}
	for _, s := range d.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	if d.mr != nil {
		d.mr.Close()
	}
	if d.ownRedis != nil {
		_ = d.ownRedis.Close()
	}
	if err := errors.Join(errs...); err != nil {
		slog.Warn("demo shutdown", "err", err)
	}
}
