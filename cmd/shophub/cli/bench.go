package cli

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/shophub/shophub/cmd/shophub/bench"
	"github.com/spf13/cobra"
)

func benchCmd(g *globals) *cobra.Command {
	o := bench.Options{}
	var cpuProfile string
	var names []string
	for _, s := range bench.Scenarios {
		names = append(names, fmt.Sprintf("  %-16s %s", s.Name, s.Doc))
	}
	cmd := &cobra.Command{
		Use:   "bench [scenario…|all]",
		Short: "Measure the pipeline against this machine's own ceiling",
		Long: `bench runs scenarios against a real MySQL/MariaDB and Redis, starting what
it needs in-process (emulators, serve, worker). Each prints one JSON line:
the figure, the ceiling measured in the same run on the same machine, their
ratio, and the environment; a table follows. --short scales every scenario
down to run in about a minute (CI runs 'shophub bench --short all').

Scenarios:
` + strings.Join(names, "\n"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"all"}
			}
			if o.MySQLDSN == "" || o.RedisAddr == "" {
				return fmt.Errorf("bench needs MySQL/MariaDB and Redis: --mysql-dsn and --redis-addr (or SHOPHUB_BENCH_MYSQL_DSN / SHOPHUB_BENCH_REDIS_ADDR)")
			}
			o.Out = cmd.OutOrStdout()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if g.logLevel == "debug" {
				o.Log = newLogger(g)
			}
			_, err := bench.Run(cmd.Context(), o, args)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.MySQLDSN, "mysql-dsn", envOr("SHOPHUB_BENCH_MYSQL_DSN", envOr("SHOPHUB_TEST_MYSQL_DSN", "")), "MySQL/MariaDB server to create scratch databases on")
	f.StringVar(&o.RedisAddr, "redis-addr", envOr("SHOPHUB_BENCH_REDIS_ADDR", envOr("SHOPHUB_TEST_REDIS_ADDR", "")), "Redis server")
	f.IntVar(&o.RedisDB, "redis-db", 15, "Redis database index the benchmark flushes and uses")
	f.BoolVar(&o.Short, "short", false, "scale every scenario down (about a minute in all)")
	f.DurationVar(&o.Duration, "duration", 0, "load duration of timed scenarios (default 10s, 3s with --short)")
	f.IntVar(&o.Rate, "rate", 0, "fixed request/change rate (ingest-webhooks: as fast as answered; propagate: 500/s)")
	f.IntVar(&o.Customers, "customers", 0, "customers for merge (100,000) and backfill (1,000,000)")
	f.IntVar(&o.Workers, "workers", 0, "merge, propagate: run the tasks in this many worker processes (shophub worker) (scale-out), not in the bench's")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	f.StringVar(&o.StepProfiles, "step-profiles", "", "propagate: write each step's own CPU profile (setup left out) to this directory")
	return cmd
}

// benchEmulatorCmd serves a seeded emulator for the backfill scenario from
// a separate process.
func benchEmulatorCmd() *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:    bench.EmulatorCommand,
		Short:  "Serve a seeded Shopify emulator until stdin closes (used by bench)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bench.ServeEmulator(cmd.Context(), n, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&n, "customers", 1000, "customers to seed")
	return cmd
}
