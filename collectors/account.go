// Package collectors runs the collectors together: Graph and Exchange
// Online side by side for one account.
package collectors

import (
	"context"
	"fmt"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/snapshot"
)

// Account collects one account from Graph and, when exchangeOpts is set,
// from Exchange Online. Exchange starts as soon as Graph knows the tenant
// and the account, and reads while Graph reads its sections: the two
// services' round trips overlap instead of adding up. It fails only when
// the account cannot be read at all.
func Account(ctx context.Context, opts graph.Options, exchangeOpts *exchange.Options) (*snapshot.Snapshot, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type reading struct {
		r   *exchange.Reading
		err error
	}
	done := make(chan reading, 1)
	started := false
	if exchangeOpts != nil {
		opts.OnUser = func(tenant snapshot.Tenant, upn string) {
			started = true
			go func() {
				r, err := exchange.Read(ctx, *exchangeOpts, tenant, upn, opts.Incident != nil)
				done <- reading{r, err}
			}()
		}
	}
	snap, err := graph.Collect(ctx, opts)
	if err != nil {
		cancel()
		if started {
			<-done
		}
		return nil, err
	}
	if started {
		res := <-done
		if res.err != nil {
			return nil, fmt.Errorf("collecting %s from Exchange Online: %w", snap.User.UserPrincipalName, res.err)
		}
		res.r.MergeInto(snap)
	}
	return snap, nil
}
