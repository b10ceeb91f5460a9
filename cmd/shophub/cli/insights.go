package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	shsync "github.com/shophub/shophub/sync"
	"github.com/spf13/cobra"
)

func insightsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "insights",
		Short: "Customer insights: run the RFM scoring by hand",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "score",
		Short: "Score every customer now (RFM, segments, next order due) and queue the pushes of those that changed",
		Long: `Runs the scheduled RFM scoring (insights.score_every, daily at 03:00 UTC by
default) now, against the configured hub: recency, frequency and monetary
scores over the active customers, their segments, the shop's median interval
and the profitability class where the rule reads them. Prints the customers
read and changed, the run's durations, and the pushes per target. The pushes
are queued to each target's bulk queue (push:<instance>:bulk) for the
running workers, which take them after live pushes; nothing is pushed from
here. A run already going elsewhere (a worker's scheduled one) holds a lock:
this run is then refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, a, err := loadApp(ctx, g)
			if err != nil {
				return err
			}
			defer a.Shutdown(context.Background())
			if err := a.Store.CheckSchema(ctx); err != nil {
				return err
			}
			run, err := a.Handlers.RunScore(ctx)
			if err != nil {
				return err
			}
			if !run.Ran {
				return errors.New("a scoring run is already going (a worker's scheduled run?): nothing scored, try again when it is done")
			}
			return writeScoreRun(cmd.OutOrStdout(), run)
		},
	})
	return cmd
}

// writeScoreRun prints what a scoring run did.
func writeScoreRun(out io.Writer, run shsync.ScoreRun) error {
	r := run.Result
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Fprintf(out, "customers read:    %d (with orders)\n", r.Scored)
	fmt.Fprintf(out, "customers changed: %d (scores, segment, class or next order due; %d insight changes written)\n", len(r.Changed), r.Written)
	fmt.Fprintf(out, "duration:          %s (read %s, classify %s, write %s)\n", ms(r.Duration), ms(r.Read), ms(r.Classify), ms(r.Write))
	if len(r.Refreshed) > 0 {
		fmt.Fprintf(out, "ticket window slid: %d customers recomputed\n", len(r.Refreshed))
	}
	fmt.Fprintln(out)
	if len(run.Targets) == 0 {
		fmt.Fprintln(out, "PUSHES: none (no connector's mapping renders insights)")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPUSHES\tQUEUE")
	for _, name := range run.Targets {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", name, len(r.Changed), shsync.PushBulkQueue(name))
	}
	return tw.Flush()
}
