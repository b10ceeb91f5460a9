package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
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
	var dryRun bool
	var force int
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the hub's database schema up to this binary's version",
		Long: `Applies the numbered schema versions in hub/migrations (MySQL/MariaDB) that
the database lacks and records them in schema_migrations; a database an
earlier release created without versions is adopted as version 1 first.
SQLite (dev) follows the models directly. serve and worker refuse to start
on a schema older than the binary.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := loadStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			if cmd.Flags().Changed("force") {
				if err := st.ForceVersion(cmd.Context(), force); err != nil {
					return err
				}
				fmt.Fprintf(out, "schema_migrations now says version %d (nothing was run)\n", force)
				return nil
			}
			status, err := st.SchemaStatus(cmd.Context())
			if err != nil {
				return err
			}
			if dryRun {
				return printPending(out, status)
			}
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			if cfg.Database.Driver == config.DriverMySQL {
				if status.Legacy {
					fmt.Fprintf(out, "adopted the tables of an earlier release: AutoMigrate brought them to the models, version %d recorded\n", status.Latest)
				}
				for _, m := range status.Pending() {
					fmt.Fprintf(out, "applied %s\n", m.Name)
				}
				fmt.Fprintf(out, "schema at version %d (%s)\n", hub.LatestVersion(), cfg.Database.Driver)
				return nil
			}
			fmt.Fprintf(out, "schema up to date (%s)\n", cfg.Database.Driver)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the SQL that would run, change nothing")
	cmd.Flags().IntVar(&force, "force", 0, "record this version as applied without running anything (after repairing a failed migration by hand)")
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Show the schema's version and what migrate would apply",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := loadStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			status, err := st.SchemaStatus(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case cfg.Database.Driver != config.DriverMySQL:
				state := "up to date"
				if status.Empty {
					state = "empty: run shophub migrate"
				}
				fmt.Fprintf(out, "%s: not versioned (follows the models), %s\n", cfg.Database.Driver, state)
				return nil
			case status.Empty:
				fmt.Fprintf(out, "version: none (empty database)\n")
			case status.Legacy:
				fmt.Fprintf(out, "version: none recorded (tables from before versioned migrations; migrate adopts them)\n")
			default:
				dirty := ""
				if status.Dirty {
					dirty = " (dirty: a migration failed halfway)"
				}
				fmt.Fprintf(out, "version: %d%s\n", status.Version, dirty)
			}
			fmt.Fprintf(out, "binary needs: %d\n", status.Latest)
			pending := status.Pending()
			if len(pending) == 0 {
				fmt.Fprintln(out, "pending: none")
			}
			for _, m := range pending {
				fmt.Fprintf(out, "pending: %s\n", m.Name)
			}
			return nil
		},
	})
	return cmd
}

// printPending writes the SQL migrate would run, file by file.
func printPending(w io.Writer, st hub.SchemaStatus) error {
	if st.Driver != config.DriverMySQL {
		fmt.Fprintf(w, "-- %s is not versioned: migrate runs gorm's AutoMigrate of the models\n", st.Driver)
		return nil
	}
	if st.Legacy {
		fmt.Fprintf(w, "-- tables of a release before versioned migrations: migrate adopts them, running gorm's\n"+
			"-- AutoMigrate of the models (as that release did; no change on its last schema) and\n"+
			"-- recording version %d; no file below runs\n", st.Latest)
		return nil
	}
	pending := st.Pending()
	if len(pending) == 0 {
		fmt.Fprintf(w, "-- schema at version %d: nothing to run\n", st.Version)
		return nil
	}
	for _, m := range pending {
		fmt.Fprintf(w, "-- %s (version %d)\n%s\n", m.Name, m.Version, strings.TrimRight(m.SQL, "\n"))
	}
	return nil
}

func backfillCmd(g *globals) *cobra.Command {
	var resource string
	cmd := &cobra.Command{
		Use:   "backfill <connector>",
		Short: "Reset a connector's cursor and list all its records again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, a, err := loadApp(cmd.Context(), g)
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
