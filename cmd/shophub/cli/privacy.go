package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
	"github.com/spf13/cobra"
)

// customerArg resolves the command's argument, a hub customer id or, with
// --email, an email address, to a hub customer id.
func customerArg(ctx context.Context, st *hub.Store, arg string, byEmail bool) (uint64, error) {
	if !byEmail {
		id, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("customer id %q is not a number (use --email to look up by email)", arg)
		}
		return id, nil
	}
	var c hub.Customer
	err := st.DB().WithContext(ctx).Where("email = ?", mappings.NormalizeEmail(arg)).Take(&c).Error
	if err != nil {
		return 0, fmt.Errorf("no hub customer with that email: %w", err)
	}
	return c.ID, nil
}

func exportCmd(g *globals) *cobra.Command {
	var byEmail bool
	cmd := &cobra.Command{
		Use:   "export <customer-id>",
		Short: "Print everything the hub holds about a person as JSON (GDPR access request)",
		Long: `Prints the person's profile, field provenance, links with the records last
received and pushed, change log, tickets, orders and quarantined records as
JSON, as POST /api/customers/:id/export does. The audit trail records that
an export was made, not what it held.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, st, err := loadStore(ctx, g)
			if err != nil {
				return err
			}
			defer st.Close()
			id, err := customerArg(ctx, st, args[0], byEmail)
			if err != nil {
				return err
			}
			x, err := st.Export(ctx, id)
			if errors.Is(err, hub.ErrNotFound) {
				return fmt.Errorf("no customer %d", id)
			}
			if err != nil {
				return err
			}
			if err := st.LogPrivacyRequest(ctx, &hub.PrivacyRequest{Kind: hub.PrivacyExport, Source: "cli", CustomerID: id}); err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(x)
		},
	}
	cmd.Flags().BoolVar(&byEmail, "email", false, "the argument is the person's email address")
	return cmd
}

func eraseCmd(g *globals) *cobra.Command {
	var byEmail bool
	cmd := &cobra.Command{
		Use:   "erase <customer-id>",
		Short: "Erase a person from the hub and from every linked touchpoint (GDPR erasure)",
		Long: `Removes the person from the hub (profile, links, change log, tickets,
orders, quarantine, queued tasks and dead letters) in one transaction and
queues one task per linked touchpoint that deletes or anonymizes their record
there, per connectors[].erasure; a running worker carries them out. Prints the
privacy request id; GET /api/privacy/requests/:id shows the touchpoints'
progress.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, a, err := loadApp(ctx, g)
			if err != nil {
				return err
			}
			defer a.Shutdown(context.Background())
			id, err := customerArg(ctx, a.Store, args[0], byEmail)
			if err != nil {
				return err
			}
			r, err := a.Handlers.EraseCustomer(ctx, id, hub.EraseRequest{Source: "cli"})
			if errors.Is(err, hub.ErrNotFound) {
				return fmt.Errorf("no customer %d", id)
			}
			if err != nil {
				return err
			}
			_, steps, err := a.Store.PrivacyRequest(ctx, r.ID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "customer %d erased from the hub: privacy request %d\n", id, r.ID)
			for _, s := range steps {
				fmt.Fprintf(out, "  %s: %s (%s)\n", s.Instance, s.Action, s.Status)
			}
			if len(steps) == 0 {
				fmt.Fprintln(out, "  no touchpoint holds a record of them")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&byEmail, "email", false, "the argument is the person's email address")
	return cmd
}
