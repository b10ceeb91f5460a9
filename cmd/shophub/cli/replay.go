package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	shsync "github.com/shophub/shophub/sync"
	"github.com/spf13/cobra"
)

func replayCmd(g *globals) *cobra.Command {
	var connector, id string
	var quarantine, all bool
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Replay dead letters (--id, --connector or --all), or quarantined records after a mapping fix (--quarantine)",
		Long: `Dead letters are tasks that exhausted their retries or that a vendor refused
for good; replaying moves them back to their queue for a running worker.
--quarantine re-runs records that failed mapping through the (fixed)
mapping and merge right here.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(g.configPath)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if quarantine {
				if id != "" {
					return errors.New("--id names a dead letter; --quarantine replays by --connector")
				}
				a, err := app.New(cmd.Context(), app.Options{Config: cfg, Log: newLogger(g)})
				if err != nil {
					return err
				}
				defer a.Shutdown(context.Background())
				ok, failed, err := a.Handlers.ReplayQuarantine(cmd.Context(), connector)
				fmt.Fprintf(out, "quarantine: %d replayed, %d still failing\n", ok, failed)
				return err
			}
			rdb := app.NewRedis(cfg.Redis)
			defer rdb.Close()
			dl := shsync.NewDeadLetters(rdb)
			switch {
			case id != "":
				if err := dl.Replay(id); err != nil {
					return err
				}
				fmt.Fprintf(out, "dead letter %s replayed\n", id)
			case connector != "" || all:
				n, err := dl.ReplayConnector(connector)
				fmt.Fprintf(out, "%d dead letters replayed\n", n)
				return err
			default:
				return errors.New("say which dead letters: --id ID, --connector NAME or --all")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&connector, "connector", "", "only this connector instance")
	cmd.Flags().StringVar(&id, "id", "", "one dead letter (<queue>~<task id>, as GET /api/deadletters lists it)")
	cmd.Flags().BoolVar(&all, "all", false, "every dead letter")
	cmd.Flags().BoolVar(&quarantine, "quarantine", false, "replay quarantined records instead of dead letters")
	return cmd
}
