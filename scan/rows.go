package scan

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
)

// Exchange's bulk rows (one per mailbox, from Get-Mailbox and
// Get-CASMailbox) are needed one account at a time, but listed all at
// once. A rowStore keeps them on disk, in a file beside the scan's, with
// only an index in memory: the scan's memory does not grow with the
// mailboxes' rows. Only the fields a snapshot uses are kept, and a row
// comes back as the cmdlet sent it, for the one mapping (exchange.Reading).
type rowStore struct {
	keys  []string
	file  *os.File
	mu    sync.Mutex
	end   int64
	index map[string]rowRef
	buf   []byte
}

type rowRef struct {
	off int64
	n   int32
}

var (
	mailboxKeys = []string{"ForwardingSmtpAddress", "ForwardingAddress", "DeliverToMailboxAndForward", "GrantSendOnBehalfTo",
		"PrimarySmtpAddress", "AuditEnabled", "Guid", "DistinguishedName", "Identity"}
	casKeys = []string{"ImapEnabled", "PopEnabled", "SmtpClientAuthenticationDisabled", "ActiveSyncEnabled", "EwsEnabled", "MAPIEnabled", "OWAEnabled"}
)

func newRowStore(path string, keys []string) (*rowStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	os.Remove(path) // the file lives while it is open, and never outlives the scan
	return &rowStore{keys: keys, file: f, index: map[string]rowRef{}}, nil
}

// put keeps the row's fields under each key (an object id, an address,
// lower-cased).
func (s *rowStore) put(keys []string, full map[string]any) error {
	values := make([]any, len(s.keys))
	for i, k := range s.keys {
		values[i] = full[k] // a field Exchange did not send stays null
	}
	b, err := json.Marshal(values)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.file.WriteAt(b, s.end); err != nil {
		return err
	}
	for _, key := range keys {
		s.index[key] = rowRef{off: s.end, n: int32(len(b))}
	}
	s.end += int64(len(b))
	return nil
}

// get returns the row as the cmdlet sent it under the first of the keys
// it holds, and whether there was one.
func (s *rowStore) get(keys ...string) (map[string]any, bool, error) {
	if s == nil {
		return nil, false, nil
	}
	var ref rowRef
	var ok bool
	s.mu.Lock()
	for _, key := range keys {
		if ref, ok = s.index[strings.ToLower(key)]; ok && key != "" {
			break
		}
	}
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	key := keys[0]
	b := make([]byte, ref.n)
	if _, err := s.file.ReadAt(b, ref.off); err != nil {
		return nil, true, fmt.Errorf("reading the kept row of %s: %w", key, err)
	}
	var values []any
	if err := json.Unmarshal(b, &values); err != nil || len(values) != len(s.keys) {
		return nil, true, fmt.Errorf("the kept row of %s is damaged", key)
	}
	row := make(map[string]any, len(s.keys))
	for i, k := range s.keys {
		row[k] = values[i]
	}
	return row, true, nil
}

func (s *rowStore) close() {
	if s != nil {
		s.file.Close()
	}
}
