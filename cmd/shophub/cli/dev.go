package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/spf13/cobra"
)

func devCmd(g *globals) *cobra.Command {
	o := app.DemoOptions{}
	var keep bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process on embedded defaults, with emulated shops",
		Long: `dev runs shophub with no setup: the hub in a SQLite file, the queue on an
in-process Redis-protocol server, and emulators of Shopify and Shopware
seeded with demo customers. Change a customer in one emulator and watch it
arrive in the other within seconds. Nothing outside this process is touched.`,
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
			d, err := app.StartDemo(cmd.Context(), o)
			if err != nil {
				return err
			}
			defer d.Close()
			printBanner(cmd.OutOrStdout(), o, d)
			<-cmd.Context().Done()
			o.Log.Info("stopping")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "shophub's HTTP address")
	f.StringVar(&o.ShopifyAddr, "shopify", "127.0.0.1:8081", "Shopify emulator address")
	f.StringVar(&o.ShopwareAddr, "shopware", "127.0.0.1:8082", "Shopware emulator address")
	f.StringVar(&o.Dir, "dir", ".shophub", "directory for the hub's SQLite file")
	f.IntVar(&o.Seed, "seed", 10, "demo customers to create in the Shopify emulator")
	f.DurationVar(&o.PollInterval, "poll", time.Minute, "poll interval of both connectors (0 = webhooks only)")
	f.BoolVar(&keep, "keep", false, "keep the hub database of the previous run")
	return cmd
}

func printBanner(w io.Writer, o app.DemoOptions, d *app.Demo) {
	first := "1"
	if len(d.SeededIDs) > 0 {
		first = d.SeededIDs[0]
	}
	fmt.Fprintf(w, `
shophub dev is running — everything in this process, hub data in %s

  shophub          %s
  Shopify  (emu)   %s   token %s
  Shopware (emu)   %s   client %s / %s

%d demo customers were created in Shopify (%d of them in Canada and Austria, with
phones and regions as written there); they travel through the hub into Shopware.

List them in the hub:
  curl -s -H 'Authorization: Bearer %s' %s/api/customers

Change one in Shopify, and see it arrive in Shopware within seconds:
  curl -s -X PUT %s/admin/api/2025-10/customers/%s.json \
    -H 'X-Shopify-Access-Token: %s' -H 'Content-Type: application/json' \
    -d '{"customer":{"id":%s,"first_name":"Anneliese"}}'
  curl -s -H 'Authorization: Bearer %s' '%s/api/customers?email=%s'

Stop with Ctrl-C.
`, filepath.Join(o.Dir, "dev.db"), d.URL(), d.ShopifyURL, app.DemoShopifyToken, d.ShopwareURL, app.DemoShopwareID, app.DemoShopwareSecret,
		len(d.SeededIDs)+len(d.AbroadIDs), len(d.AbroadIDs), "dev-token", d.URL(), d.ShopifyURL, first, app.DemoShopifyToken, first, "dev-token", d.URL(),
		app.DemoCustomer(0)["email"])
}
