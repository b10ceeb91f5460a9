package cli

import (
	"encoding/json"
	"fmt"

	"github.com/shophub/shophub/internal/buildinfo"
	"github.com/spf13/cobra"
)

func versionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the build: module version, VCS revision and time, Go version",
		Long: `version prints what the Go toolchain stamped into this binary: the module
version (a tag for go install ...@vX.Y.Z, "(devel)" for a build from a
checkout), the git commit, its time and "-dirty" for uncommitted changes, and
the Go version. Running processes expose the same as shophub_build_info.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi := buildinfo.Read()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(map[string]any{
					"version": bi.Version, "revision": bi.Revision, "time": bi.Time,
					"modified": bi.Modified, "go": bi.GoVersion,
				})
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), bi)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
