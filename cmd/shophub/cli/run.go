package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/internal/logx"
	"github.com/spf13/cobra"
)

func runCmd(g *globals, use, short string, serve, work bool) *cobra.Command {
	var migrate bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(g.configPath)
			if err != nil {
				return err
			}
			log := newLogger(g)
			return runUntilSignal(cmd.Context(), app.Options{Config: cfg, Log: log, Serve: serve, Work: work, Migrate: migrate}, nil)
		},
	}
	cmd.Flags().BoolVar(&migrate, "migrate", false, "run database migrations before starting")
	return cmd
}

// runUntilSignal starts the app and drains it when ctx ends (SIGINT/SIGTERM).
func runUntilSignal(ctx context.Context, opts app.Options, started func(*app.App)) error {
	a, err := app.New(ctx, opts)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	opts.Log.Info("shophub started", "serve", opts.Serve, "work", opts.Work, "url", a.URL(), "admin_url", a.AdminURL(), "connectors", len(a.Points.All()))
	if started != nil {
		started(a)
	}
	<-ctx.Done()
	opts.Log.Info("shutting down: draining in-flight work")
	sctx, cancel := context.WithTimeout(context.Background(), opts.Config.Worker.ShutdownTimeout.D()+5*time.Second)
	defer cancel()
	return a.Shutdown(sctx)
}

func migrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or update the hub's database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(g.configPath)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date (%s)\n", cfg.Database.Driver)
			return nil
		},
	}
}

func backfillCmd(g *globals) *cobra.Command {
	var resource string
	cmd := &cobra.Command{
		Use:   "backfill <connector>",
		Short: "Reset a connector's cursor and list all its records again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(g.configPath)
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), app.Options{Config: cfg, Log: newLogger(g)})
			if err != nil {
				return err
			}
			defer a.Shutdown(context.Background())
			if _, ok := a.Points.Get(args[0]); !ok {
				return fmt.Errorf("no connector named %q in %s", args[0], cfg.File)
			}
			if err := a.Handlers.Backfill(cmd.Context(), args[0], resource); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backfill of %s %s enqueued; a running worker processes it\n", args[0], resource)
			return nil
		},
	}
	cmd.Flags().StringVar(&resource, "resource", "customer", "resource to backfill")
	return cmd
}

func newLogger(g *globals) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if g.logFormat == "text" {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	// Every line passes the masking handler: emails, phones, vendor bodies
	// and secrets are masked in any attribute kind, errors included.
	l := slog.New(logx.NewMaskingHandler(h))
	slog.SetDefault(l)
	return l
}
