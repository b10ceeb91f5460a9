package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	shsync "github.com/shophub/shophub/sync"
	"github.com/spf13/cobra"
)

func checkCmd(g *globals) *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "check [config.yaml]",
		Short: "Validate a config file: keys, values, connector settings and mappings",
		Long: `check validates a config file without connecting to anything: YAML keys and
values, ${ENV} references, each connector's type and settings, and that every
mapping (embedded default or override) compiles. Errors name file:line.

--strict also fails on what a production install must not run with:
placeholder values (the example's shpat_set_... tokens, example.com hosts)
and empty secrets (admin token, tombstone secret, connector credentials, the
webhook secret of an instance that is not polled). docker-compose.yml runs
it before migrating.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := g.configPath
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			if strict {
				if err := cfg.Strict(); err != nil {
					return fmt.Errorf("not ready for production (--strict):\n%w", err)
				}
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if cfg.Hub.TombstoneSecret == "" {
				// Fine for dev mode and tests; in production the tombstones
				// would be keyed with a key anyone can read in the source.
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: hub.tombstone_secret is not set: erasure tombstones are keyed with the public development secret; set SHOPHUB_TOMBSTONE_SECRET")
			}
			for i, c := range cfg.Connectors {
				if c.Out() && c.Erasure == "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: connectors[%d] (%s): erasure not set: erasing a person leaves their record there (none); choose delete, anonymize or none\n", i, c.Name)
				}
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			points, err := shsync.Build(cmd.Context(), cfg, quiet, false)
			if err != nil {
				return err
			}
			defer points.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d connectors)\n", path, len(points.All()))
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "also fail on placeholder values and empty secrets (for production)")
	return cmd
}

// loadStore loads the config the global flags name and opens its hub
// store, for the commands that read or change the hub without running
// shophub; the caller closes the store.
func loadStore(ctx context.Context, g *globals) (*config.Config, *hub.Store, error) {
	cfg, err := config.Load(g.configPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// loadApp is the config and the whole app, for a command that works
// through the pipeline's handlers (scoring, erasure, backfill); the caller
// shuts the app down.
func loadApp(ctx context.Context, g *globals) (*config.Config, *app.App, error) {
	cfg, err := config.Load(g.configPath)
	if err != nil {
		return nil, nil, err
	}
	a, err := app.New(ctx, app.Options{Config: cfg, Log: newLogger(g)})
	if err != nil {
		return nil, nil, err
	}
	return cfg, a, nil
}

func openStore(ctx context.Context, cfg *config.Config) (*hub.Store, error) {
	st, err := hub.OpenPool(ctx, cfg.Database.Driver, cfg.Database.DSN, app.DBPool(cfg))
	if err != nil {
		return nil, err
	}
	st.SetPrivacyOptions(app.PrivacyOptions(cfg))
	return st, nil
}
