package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/spf13/cobra"
)

func devCmd(g *globals) *cobra.Command {
	o := app.DemoOptions{}
	var keep, shopsOnly bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process on embedded defaults, with emulated shops, helpdesk and ERP",
		Long: `dev runs shophub with no setup: the hub in a SQLite file, the queue on an
in-process Redis-protocol server, and emulators of Shopify, Shopware,
Magento, Help Scout and an Odoo ERP seeded with demo customers who overlap
across them (one person is in all five, with orders and a ticket). Change
a customer in one emulator and watch it arrive in the others within
seconds; watch it all in the console at /ui/. dev writes .shophub/dev.yaml
so the other commands reach it (shophub --config .shophub/dev.yaml status).
Nothing outside this process is touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-format") {
				g.logFormat = "text"
			}
			o.Log = newLogger(g)
			if !keep {
				// The emulators are in memory; a hub left from a previous run
				// would hold links to records that no longer exist.
				for _, f := range []string{"dev.db", "dev.db-wal", "dev.db-shm"} {
					_ = os.Remove(filepath.Join(o.Dir, f))
				}
			}
			o.Landscape = !shopsOnly
			d, err := app.StartDemo(cmd.Context(), o)
			if err != nil {
				return err
			}
			defer d.Close()
			cfgPath := filepath.Join(o.Dir, "dev.yaml")
			if err := d.WriteConfig(cfgPath); err != nil {
				o.Log.Warn("no config file for the CLI", "err", err)
				cfgPath = ""
			}
			printBanner(cmd.OutOrStdout(), o, d, cfgPath)
			<-cmd.Context().Done()
			o.Log.Info("stopping")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "shophub's HTTP address")
	f.StringVar(&o.ShopifyAddr, "shopify", "127.0.0.1:8081", "Shopify emulator address")
	f.StringVar(&o.ShopwareAddr, "shopware", "127.0.0.1:8082", "Shopware emulator address")
	f.StringVar(&o.MagentoAddr, "magento", "127.0.0.1:8083", "Magento emulator address")
	f.StringVar(&o.HelpScoutAddr, "helpscout", "127.0.0.1:8084", "Help Scout emulator address")
	f.StringVar(&o.OdooAddr, "odoo", "127.0.0.1:8085", "Odoo emulator address")
	f.StringVar(&o.OXIDServer, "oxid-server", os.Getenv("SHOPHUB_DEV_OXID_SERVER"),
		"a MySQL/MariaDB server DSN (e.g. root@tcp(127.0.0.1:3306)/) on which dev adds an OXID shop: it creates the database --oxid-database, dropped and recreated at each start (default $SHOPHUB_DEV_OXID_SERVER)")
	f.StringVar(&o.OXIDDatabase, "oxid-database", "",
		"the OXID shop's database on --oxid-server (default shophub_dev_oxid_ and a hash of the hub's database, so dev runs on other --dir do not share it)")
	f.BoolVar(&shopsOnly, "shops-only", false, "only the Shopify and Shopware emulators (the demo before the full landscape)")
	f.StringVar(&o.Dir, "dir", ".shophub", "directory for the hub's SQLite file")
	f.IntVar(&o.Seed, "seed", 10, "demo customers to create in the Shopify emulator")
	f.DurationVar(&o.PollInterval, "poll", time.Minute, "poll interval of both connectors (0 = webhooks only)")
	f.BoolVar(&keep, "keep", false, "keep the hub database of the previous run")
	return cmd
}

func printBanner(w io.Writer, o app.DemoOptions, d *app.Demo, cfgPath string) {
	first := "1"
	if len(d.SeededIDs) > 0 {
		first = d.SeededIDs[0]
	}
	const token = "dev-token"
	fmt.Fprintf(w, `
shophub dev is running — everything in this process, hub data in %s

  Console          %s/ui/          log in with the admin token: %s
  Admin API        %s/api/         curl -s -H 'Authorization: Bearer %s' %s/api/customers
  Queue dashboard  %s/ui/queues    (any user name, password %s)
`, filepath.Join(o.Dir, "dev.db"), d.URL(), token, d.URL(), token, d.URL(), d.URL(), token)
	if cfgPath != "" {
		fmt.Fprintf(w, "  CLI              shophub --config %s status   (also replay, export, erase, backfill)\n", cfgPath)
	}
	fmt.Fprintf(w, `
Emulated systems, each a vendor API in this process:
  Shopify    %s
             curl -s -H 'X-Shopify-Access-Token: %s' %s/admin/api/2025-10/customers.json
  Shopware   %s
             curl -s -X POST %s/api/oauth/token -d 'grant_type=client_credentials&client_id=%s&client_secret=%s'
             then: curl -s -X POST -H 'Authorization: Bearer <access_token>' %s/api/search/customer
`, d.ShopifyURL, app.DemoShopifyToken, d.ShopifyURL, d.ShopwareURL, d.ShopwareURL, app.DemoShopwareID, app.DemoShopwareSecret, d.ShopwareURL)
	if d.Magento != nil {
		fmt.Fprintf(w, `  Magento    %s
             curl -s -g -H 'Authorization: Bearer %s' '%s/rest/default/V1/customers/search?searchCriteria[pageSize]=20'
  Help Scout %s
             curl -s -X POST %s/v2/oauth2/token -d 'grant_type=client_credentials&client_id=%s&client_secret=%s'
             then: curl -s -H 'Authorization: Bearer <access_token>' %s/v2/customers
  Odoo (ERP) %s
             curl -s -X POST -H 'Authorization: bearer %s' -H 'X-Odoo-Database: %s' -H 'Content-Type: application/json' \
               %s/json/2/res.partner/search_read -d '{"domain":[],"fields":["name","email","ref"]}'
`, d.MagentoURL, magentotest.DefaultIntegrationToken, d.MagentoURL, d.HelpScoutURL, d.HelpScoutURL,
			helpscouttest.DefaultClientID, helpscouttest.DefaultClientSecret, d.HelpScoutURL,
			d.OdooURL, odootest.DefaultAPIKey, odootest.DefaultDatabase, d.OdooURL)
		if d.OXID != nil {
			where := "the database of --oxid-server"
			if c, err := mysql.ParseDSN(d.OXID.DSN); err == nil { // no password on screen
				where = fmt.Sprintf("database %s on %s", c.DBName, c.Addr)
			}
			fmt.Fprintf(w, `  OXID       %s (polled; OXID tells nobody of a change)
             SELECT OXUSERNAME, OXFNAME, OXLNAME, OXSTREET, OXSTREETNR, OXCITY, OXTIMESTAMP FROM oxuser;
`, where)
		} else {
			fmt.Fprintln(w, "  OXID       not started: OXID is database-based; give a MySQL/MariaDB server with --oxid-server to add it")
		}
		fmt.Fprintf(w, `
%d demo customers were created in Shopify (%d of them in Canada and Austria, with
phones and regions as written there). %s is also in Magento and the ERP,
has orders in Shopify and Magento and a Help Scout ticket: open her in the console
(search "%s") to see one person across five systems. Magento, the ERP and
Help Scout each add people of their own; everyone travels to every system.
`, len(d.SeededIDs)+len(d.AbroadIDs), len(d.AbroadIDs), app.LandscapeEmail(), "Schmidt")
		if d.OXID != nil {
			fmt.Fprintln(w, "She is in the OXID shop too (six systems), and OXID adds a customer of its own.")
		}
	} else {
		fmt.Fprintf(w, `
%d demo customers were created in Shopify (%d of them in Canada and Austria, with
phones and regions as written there); they travel through the hub into Shopware.
`, len(d.SeededIDs)+len(d.AbroadIDs), len(d.AbroadIDs))
	}
	fmt.Fprintf(w, `
Change one in Shopify, and see it arrive everywhere within seconds:
  curl -s -X PUT %s/admin/api/2025-10/customers/%s.json \
    -H 'X-Shopify-Access-Token: %s' -H 'Content-Type: application/json' \
    -d '{"customer":{"id":%s,"first_name":"Anneliese"}}'
  curl -s -H 'Authorization: Bearer %s' '%s/api/customers?email=%s'

Stop with Ctrl-C.
`, d.ShopifyURL, first, app.DemoShopifyToken, first, token, d.URL(), app.DemoCustomer(0)["email"])
}
