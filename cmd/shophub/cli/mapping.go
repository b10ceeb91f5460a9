package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	_ "github.com/shophub/shophub/connectors/all" // connector types and their default mappings
	"github.com/shophub/shophub/mappings"
	"github.com/spf13/cobra"
)

func mappingCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Work with mapping files",
	}
	cmd.AddCommand(mappingTestCmd(g))
	return cmd
}

type mappingTestFlags struct {
	connector, in, direction, resource, mapping string
	coverage                                    bool
}

func mappingTestCmd(g *globals) *cobra.Command {
	var f mappingTestFlags
	cmd := &cobra.Command{
		Use:   "test --connector <instance|type> --in record.json",
		Short: "Map a record with a connector's mapping and print the result",
		Long: `test maps one record (or a JSON array of records) the way the pipeline would
and prints the result as JSON: vendor record → canonical doc (--direction in,
the default) or canonical doc → vendor payload (--direction out).

--connector is an instance name from the config file (its mapping override
and settings apply) or a connector type (its embedded default mapping).
--mapping tests another mapping file instead. --in - reads stdin.

Mapping errors name the mapping file:line, the field and the (masked) value;
the command then exits non-zero. A record skipped by skip_when is reported on
stderr and prints nothing.

The mapping's coverage of the resource (the canonical fields and address
sub-fields the touchpoint holds, reads only, fills only or writes only; see
mappings/README.md) follows on stderr. --coverage prints only the coverage,
as JSON on stdout, and needs no --in.`,
		Example: `  shophub mapping test --connector shopify --in customer.json
  shophub mapping test -c shophub.yaml --connector shop-de --in - < customer.json
  shophub mapping test --connector shopware --direction out --in canonical.json
  shophub mapping test --connector shopware --coverage`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMappingTest(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.connector, "connector", "", "instance name from the config file, or a connector type")
	fl.StringVar(&f.in, "in", "", "JSON file with the record (or an array of records); - reads stdin")
	fl.StringVar(&f.direction, "direction", "in", "in (vendor → canonical) or out (canonical → vendor)")
	fl.StringVar(&f.resource, "resource", connectors.ResourceCustomer, "resource to map")
	fl.StringVar(&f.mapping, "mapping", "", "mapping file to use instead of the connector's")
	fl.BoolVar(&f.coverage, "coverage", false, "print the mapping's coverage of --resource (JSON) instead of mapping a record")
	_ = cmd.MarkFlagRequired("connector")
	return cmd
}

func runMappingTest(cmd *cobra.Command, g *globals, f mappingTestFlags) error {
	if f.direction != "in" && f.direction != "out" {
		return fmt.Errorf("--direction: want in or out, got %q", f.direction)
	}
	m, err := loadMapping(cmd, g, f)
	if err != nil {
		return err
	}
	if f.coverage {
		cov := m.Coverage(f.resource)
		if cov == nil {
			return fmt.Errorf("%s does not map resource %q", m.File(), f.resource)
		}
		return printJSON(cmd.OutOrStdout(), cov)
	}
	if f.in == "" {
		return errors.New(`required flag "in" not set (or --coverage)`)
	}
	var raw []byte
	if f.in == "-" {
		raw, err = io.ReadAll(cmd.InOrStdin())
	} else {
		raw, err = os.ReadFile(f.in)
	}
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	var input any
	if err := json.Unmarshal(raw, &input); err != nil {
		return fmt.Errorf("%s: not JSON: %w", f.in, err)
	}
	records, single := []any{input}, true
	if list, ok := input.([]any); ok {
		records, single = list, false
	}
	out := make([]any, 0, len(records))
	for i, r := range records {
		rec, ok := r.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: record %d: want a JSON object", f.in, i)
		}
		var res any
		if f.direction == "in" {
			res, err = m.Inbound(f.resource, rec)
		} else {
			res, err = m.Outbound(f.resource, mappings.Doc(rec))
		}
		if errors.Is(err, mappings.ErrSkip) {
			fmt.Fprintf(cmd.ErrOrStderr(), "record %d skipped: %v\n", i, err)
			continue
		}
		if err != nil {
			if !single {
				return fmt.Errorf("record %d: %w", i, err)
			}
			return err
		}
		out = append(out, res)
	}
	var result any = out
	if single {
		if len(out) == 0 {
			return nil
		}
		result = out[0]
	}
	if err := printJSON(cmd.OutOrStdout(), result); err != nil {
		return err
	}
	if lines := m.Coverage(f.resource).Summary(); len(lines) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "coverage of %s by %s:\n", f.resource, m.File())
		for _, l := range lines {
			fmt.Fprintf(cmd.ErrOrStderr(), "  %s\n", l)
		}
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// loadMapping compiles the mapping the pipeline would use for --connector:
// an instance of the config file (override, settings, default region), or
// else a connector type's embedded default.
func loadMapping(cmd *cobra.Command, g *globals, f mappingTestFlags) (*mappings.Mapping, error) {
	var cfg *config.Config
	explicit := cmd.Flags().Changed("config") || os.Getenv("SHOPHUB_CONFIG") != ""
	if _, statErr := os.Stat(g.configPath); explicit || statErr == nil {
		c, err := config.Load(g.configPath)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	opts := mappings.Options{DefaultRegion: config.DefaultRegion}
	typ, file, src := "", "", []byte(nil)
	if cfg != nil {
		opts.DefaultRegion = cfg.Hub.DefaultRegion
		for _, cc := range cfg.Connectors {
			if cc.Name == f.connector {
				typ, file, opts.Settings, opts.Region = cc.Type, cc.Mapping, cc.Settings, cc.Region
				break
			}
		}
	}
	if typ == "" {
		if _, ok := connectors.Lookup(f.connector); !ok {
			where := "no config file"
			if cfg != nil {
				where = "not an instance in " + g.configPath
			}
			return nil, fmt.Errorf("--connector %q: %s, and not a connector type (known: %v)", f.connector, where, connectors.Types())
		}
		typ = f.connector
	}
	if f.mapping != "" {
		file = f.mapping
	}
	if file != "" {
		var err error
		if src, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
	} else {
		reg, _ := connectors.Lookup(typ)
		src, file = reg.Mapping, "connectors/"+typ+"/mapping.yaml"
	}
	return mappings.Compile(file, src, opts)
}
