package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/hub"
	shsync "github.com/shophub/shophub/sync"
	"github.com/spf13/cobra"
)

func statusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print queue sizes, dead letters by connector, last successful polls and the quarantine count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := loadStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			rdb := app.NewRedis(cfg.Redis)
			defer rdb.Close()
			dl := shsync.NewDeadLetters(rdb)
			out := cmd.OutOrStdout()

			queues, err := dl.Inspector.Queues()
			if err != nil {
				return fmt.Errorf("queues: %w", err)
			}
			sort.Strings(queues)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "QUEUE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tARCHIVED")
			for _, q := range queues {
				info, err := dl.Inspector.GetQueueInfo(q)
				if err != nil {
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived)
			}
			if err := tw.Flush(); err != nil {
				return err
			}

			if err := writeConnectorHealth(cmd.Context(), out, rdb); err != nil {
				return err
			}

			counts, err := dl.Counts()
			if err != nil {
				return err
			}
			fmt.Fprintln(out)
			writeCounts(out, "DEAD LETTERS", counts)

			// Records a target cannot hold yet are no failures, but an
			// operator should see them (and why: `GET /api/customers/:id`).
			waiting, err := st.WaitingCounts(cmd.Context())
			if err != nil {
				return fmt.Errorf("waiting pushes: %w", err)
			}
			fmt.Fprintln(out)
			writeCounts(out, "WAITING FOR DATA THE TARGET NEEDS", waiting)

			var cursors []hub.Cursor
			if err := st.DB().WithContext(cmd.Context()).Order("instance, resource").Find(&cursors).Error; err != nil {
				return fmt.Errorf("cursors: %w", err)
			}
			fmt.Fprintln(out)
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CONNECTOR\tRESOURCE\tLAST SUCCESSFUL POLL")
			for _, c := range cursors {
				if strings.HasPrefix(c.Resource, "reconcile:") {
					continue // below
				}
				last := "never"
				if c.LastSuccessAt != nil {
					last = c.LastSuccessAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Instance, c.Resource, last)
			}
			if err := tw.Flush(); err != nil {
				return err
			}

			if err := writeSweeps(cmd.Context(), out, st); err != nil {
				return err
			}

			n, err := st.QuarantineCount(cmd.Context(), "")
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nquarantined records awaiting replay: %d\n", n)
			if err := writeSegments(cmd.Context(), out, st); err != nil {
				return err
			}
			return writePrivacyCounts(cmd, out, st)
		},
	}
}

// writeSegments prints the customers with orders per segment and
// profitability class (GET /api/segments).
func writeSegments(ctx context.Context, out io.Writer, st *hub.Store) error {
	counts, err := st.SegmentCounts(ctx)
	if err != nil {
		return fmt.Errorf("segments: %w", err)
	}
	fmt.Fprintln(out)
	if len(counts) == 0 {
		fmt.Fprintln(out, "SEGMENTS: none (no customer with orders yet)")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEGMENT\tPROFITABILITY\tCUSTOMERS")
	for _, c := range counts {
		seg, class := c.Segment, c.Profitability
		if seg == "" {
			seg = "(not scored)"
		}
		if class == "" {
			class = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", seg, class, c.Customers)
	}
	return tw.Flush()
}

// writeSweeps prints each reconciliation sweep's progress or result.
func writeSweeps(ctx context.Context, out io.Writer, st *hub.Store) error {
	sweeps, err := shsync.SweepStates(ctx, st)
	if err != nil {
		return fmt.Errorf("reconciliation sweeps: %w", err)
	}
	if len(sweeps) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTOR\tRESOURCE\tRECONCILIATION\tSTARTED\tLISTED\tCHANGED\tQUARANTINED\tDELETED\tNOTE")
	for _, s := range sweeps {
		state := "running"
		if s.State.Finished != nil {
			state = "finished " + s.State.Finished.UTC().Format(time.RFC3339)
		}
		note := s.State.Refused
		if s.State.Error != "" {
			note = "last error: " + s.State.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", s.Instance, s.Resource, state,
			s.State.Started.UTC().Format(time.RFC3339), s.State.Listed, s.State.Changed, s.State.Quarantined, s.State.Deleted, note)
	}
	return tw.Flush()
}

func writeCounts(out io.Writer, title string, counts map[string]int) {
	if len(counts) == 0 {
		fmt.Fprintf(out, "%s: none\n", title)
		return
	}
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(out, "%s:\n", title)
	for _, k := range names {
		label := k
		if label == "" {
			label = "(no connector)"
		}
		fmt.Fprintf(out, "  %s\t%d\n", label, counts[k])
	}
}

// writeConnectorHealth prints each worker process's connection state of
// every connector instance, from the health board in Redis.
func writeConnectorHealth(ctx context.Context, out io.Writer, rdb redis.UniversalClient) error {
	board, err := shsync.ReadHealth(ctx, rdb)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	if len(board) == 0 {
		fmt.Fprintln(out, "CONNECTORS: no worker running")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTOR\tSTATE\tSINCE\tFAILURES\tNEXT TRY\tPROCESS\tERROR")
	for _, h := range board {
		since, next := "-", "-"
		if !h.Since.IsZero() {
			since = h.Since.UTC().Format(time.RFC3339)
		}
		if !h.NextTry.IsZero() {
			next = h.NextTry.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", h.Instance, h.State, since, h.Failures, next, h.Process, h.Error)
	}
	return tw.Flush()
}

// writePrivacyCounts prints the data-protection audit: requests per kind
// and outcome, rejected ones (vendor webhooks refused for their shape or
// shop) and failed ones (a touchpoint step that did not happen) included.
func writePrivacyCounts(cmd *cobra.Command, out io.Writer, st *hub.Store) error {
	counts, err := st.PrivacyCounts(cmd.Context())
	if err != nil {
		return fmt.Errorf("privacy requests: %w", err)
	}
	fmt.Fprintln(out)
	if len(counts) == 0 {
		fmt.Fprintln(out, "PRIVACY REQUESTS: none")
		return nil
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	statuses := []string{hub.PrivacyDone, hub.PrivacyPending, hub.PrivacyFailed, hub.PrivacyNotFound, hub.PrivacyRejected}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRIVACY REQUESTS\tDONE\tPENDING\tFAILED\tNOT FOUND\tREJECTED")
	for _, k := range kinds {
		fmt.Fprint(tw, k)
		for _, s := range statuses {
			fmt.Fprintf(tw, "\t%d", counts[k][s])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
