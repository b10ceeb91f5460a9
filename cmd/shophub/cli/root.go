// Package cli is the shophub command: webhook receiver and admin API
// (serve), worker (worker), both (all), a self-contained demo (dev), and
// operator tools (migrate, check, backfill). cmd/shophub is a main that
// calls Main; an integrator's own main that blank-imports extra connectors
// and calls Main builds a shophub with those connectors (see
// connectors/GUIDE.md).
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// Main runs the shophub command with os.Args until SIGINT or SIGTERM and
// exits the process with 1 on an error. Connectors registered before it runs
// (by blank imports in the caller's main package) are part of the binary.
func Main() {
	gcDefaults()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Execute(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "shophub:", err)
		stop()
		os.Exit(1)
	}
}

// defaultGCPercent is the garbage collector's target when GOGC is not
// set. shophub's live heap is small (tens of MB) and its work allocates
// heavily (vendor JSON decoded into maps, docs encoded per merge and push):
// at Go's default of 100 the GC's own workers took ~10 % of a propagated
// change's CPU. At 400, alternated `bench --short propagate --rate 100`
// runs spent 10.6 and 11.1 ms of CPU per change against 12.6 and 12.6
// (GC workers 1.3 → 0.5 ms), and `bench --short backfill` 0.052 ms per
// customer against 0.068, at a peak RSS of 105 MB against 63 MB
// (BENCHMARKS.md, 2026-12-02 session 10). GOGC (and GOMEMLIMIT, for a
// container with a memory limit) in the environment still decide.
const defaultGCPercent = 400

// gcDefaults applies defaultGCPercent unless GOGC is set.
func gcDefaults() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// Execute runs the shophub command with args (without the program name)
// and returns its error instead of exiting, for tests and embedding.
func Execute(ctx context.Context, args []string) error {
	root := newRoot()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

type globals struct {
	configPath string
	logLevel   string
	logFormat  string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "shophub",
		Short: "Keep Shopify, Shopware, Magento, OXID, your ERP and HelpScout holding the same customer data",
		Long: `shophub connects shops, an ERP and a helpdesk to one customer hub in MySQL.
Webhooks and polls bring records in, YAML mappings normalise them, the hub
merges them field by field, and workers push every change to every other
touchpoint.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", envOr("SHOPHUB_CONFIG", "shophub.yaml"), "config file (env SHOPHUB_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("SHOPHUB_LOG_LEVEL", "info"), "debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("SHOPHUB_LOG_FORMAT", "json"), "json or text")
	root.AddCommand(
		runCmd(g, "serve", "Receive webhooks and serve the admin API", true, false),
		runCmd(g, "worker", "Process ingest, fan-out, push and poll tasks, and schedule polls", false, true),
		runCmd(g, "all", "Run serve and worker in one process", true, true),
		devCmd(g),
		migrateCmd(g),
		checkCmd(g),
		backfillCmd(g),
		probeCmd(),
		benchCmd(g),
		benchEmulatorCmd(),
		docsCmd(),
		mappingCmd(g),
		replayCmd(g),
		statusCmd(g),
		insightsCmd(g),
		exportCmd(g),
		eraseCmd(g),
		versionCmd(),
		connectorCmd(),
	)
	return root
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
