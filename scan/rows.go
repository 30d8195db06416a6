package scan

// Exchange's bulk rows, kept compact: a 100,000-mailbox tenant's rows as
// maps of interfaces would cost hundreds of MiB; these hold only what a
// snapshot uses, and turn back into the cmdlet's row for the one mapping
// (exchange.Reading) when the account is read.

// row is the fields of one cmdlet row a snapshot uses, in a fixed order.
type row struct {
	values []any // nil, string, bool or []any, as Exchange sent them
	keys   *[]string
}

var (
	mailboxKeys = []string{"ForwardingSmtpAddress", "ForwardingAddress", "DeliverToMailboxAndForward", "GrantSendOnBehalfTo"}
	casKeys     = []string{"ImapEnabled", "PopEnabled", "SmtpClientAuthenticationDisabled", "ActiveSyncEnabled", "EwsEnabled", "MAPIEnabled", "OWAEnabled"}
)

func newRow(full map[string]any, keys *[]string) row {
	r := row{values: make([]any, len(*keys)), keys: keys}
	for i, k := range *keys {
		r.values[i] = full[k] // a key Exchange did not send stays null
	}
	return r
}

// cmdletRow is the row as the cmdlet sent it, for exchange.ReadMailbox.
func (r *row) cmdletRow() map[string]any {
	if r == nil || r.keys == nil {
		return nil
	}
	out := make(map[string]any, len(r.values))
	for i, k := range *r.keys {
		out[k] = r.values[i]
	}
	return out
}
