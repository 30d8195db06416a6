package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/spf13/cobra"
)

// PermissionsOptions are the inputs of `closeout permissions`.
type PermissionsOptions struct {
	IO      *IOStreams
	Token   string
	factory *factory
}

func newCmdPermissions(f *factory, runF func(*PermissionsOptions) error) *cobra.Command {
	opts := &PermissionsOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "permissions",
		Short: "List the read-only application permissions each section needs",
		Long: `List the Microsoft Graph application permissions closeout needs, per snapshot
section. Given a token (--token or $CLOSEOUT_TOKEN), say which sections the
token's roles cover and which will be forbidden. The token is decoded, not
verified, and never printed.`,
		Example: "  closeout permissions\n  closeout permissions --token \"$(az account get-access-token --resource https://graph.microsoft.com --query accessToken -o tsv)\"",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return permissionsRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Token, "token", "", "check this access `TOKEN`'s roles (default $CLOSEOUT_TOKEN)")
	return cmd
}

func permissionsRun(opts *PermissionsOptions) error {
	token, fromEnv := opts.Token, false
	if token == "" {
		token, fromEnv = os.Getenv("CLOSEOUT_TOKEN"), true
	}
	var missing map[string]bool
	unreadable := ""
	if token != "" {
		roles, err := graph.TokenRoles(token)
		switch {
		case err != nil && !fromEnv:
			return usageErrorf("--token: %v", err)
		case err != nil:
			// The environment's token is for collecting (an opaque
			// token, such as the fake tenant's, works there); this
			// command only reads permissions out of a JWT.
			unreadable = fmt.Sprintf("The token in $CLOSEOUT_TOKEN cannot be judged (%v): the table says what a token needs.", err)
		default:
			missing = graph.Missing(roles)
		}
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	header := "SECTION\tPERMISSION\tALSO GRANTED BY\tLICENCE"
	if missing != nil {
		header += "\tTOKEN"
	}
	fmt.Fprintln(tw, header)
	forbidden := 0
	for _, p := range graph.Permissions {
		also, licence := strings.Join(p.AlsoBy, ", "), p.Licence
		if also == "" {
			also = "-"
		}
		if licence == "" {
			licence = "-"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", p.Section, p.Permission, also, licence)
		if missing != nil {
			verdict := "ok"
			if missing[p.Section] {
				verdict = "forbidden"
				forbidden++
			}
			line += "\t" + verdict
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "\nAll are application permissions, read-only; grant admin consent once.")
	fmt.Fprintln(opts.IO.Out, "\nExchange Online (the exchange collector):")
	etw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(etw, "SECTION\tAPPLICATION PERMISSION\tEXCHANGE ROLE")
	for _, e := range exchange.Permissions {
		fmt.Fprintf(etw, "%s\t%s\t%s\n", e.Sections, e.Permission, e.Role)
	}
	if err := etw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "The Exchange permission is on the Office 365 Exchange Online API; the role is assigned to the app's service principal in Exchange (New-ManagementRoleAssignment -App <id> -Role \"View-Only Recipients\").")
	if missing != nil {
		fmt.Fprintf(opts.IO.Out, "With this token %d section(s) will be forbidden and their policies unknown.\n", forbidden)
	}
	if unreadable != "" {
		fmt.Fprintln(opts.IO.Out, unreadable)
	}
	return nil
}
