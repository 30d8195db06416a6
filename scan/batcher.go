package scan

import (
	"context"
	"time"

	"github.com/closeout-dev/closeout/collectors/graph"
)

// batcher gathers the per-account reads of many workers into $batch
// requests of up to 20, sent as soon as they are full or a few
// milliseconds after the first read arrived.
type batcher struct {
	reader *graph.Reader
	in     chan batchRequest
	done   chan struct{}
}

type batchRequest struct {
	ctx   context.Context
	steps []graph.Step
	reply chan map[string]graph.Answer
}

const batchWait = 5 * time.Millisecond

func newBatcher(r *graph.Reader) *batcher {
	b := &batcher{reader: r, in: make(chan batchRequest, 64), done: make(chan struct{})}
	go b.loop()
	return b
}

// read sends the steps in a shared batch and waits for their answers.
func (b *batcher) read(ctx context.Context, steps []graph.Step) map[string]graph.Answer {
	if len(steps) == 0 {
		return map[string]graph.Answer{}
	}
	reply := make(chan map[string]graph.Answer, 1)
	select {
	case b.in <- batchRequest{ctx: ctx, steps: steps, reply: reply}:
	case <-ctx.Done():
		return failAll(steps, ctx.Err())
	}
	select {
	case a := <-reply:
		return a
	case <-ctx.Done():
		return failAll(steps, ctx.Err())
	}
}

func failAll(steps []graph.Step, err error) map[string]graph.Answer {
	out := make(map[string]graph.Answer, len(steps))
	for _, s := range steps {
		out[s.ID] = graph.Answer{Err: err}
	}
	return out
}

func (b *batcher) close() { close(b.done) }

func (b *batcher) loop() {
	var pending []batchRequest
	n := 0
	var timer <-chan time.Time
	flush := func() {
		if len(pending) == 0 {
			return
		}
		reqs := pending
		pending, n, timer = nil, 0, nil
		go func() {
			var steps []graph.Step
			for _, r := range reqs {
				steps = append(steps, r.steps...)
			}
			answers := b.reader.Batch(reqs[0].ctx, steps)
			for _, r := range reqs {
				out := make(map[string]graph.Answer, len(r.steps))
				for _, s := range r.steps {
					out[s.ID] = answers[s.ID]
				}
				r.reply <- out
			}
		}()
	}
	for {
		select {
		case r := <-b.in:
			if n+len(r.steps) > 20 {
				flush()
			}
			pending = append(pending, r)
			n += len(r.steps)
			if timer == nil {
				timer = time.After(batchWait)
			}
			if n >= 20 {
				flush()
			}
		case <-timer:
			flush()
		case <-b.done:
			flush()
			return
		}
	}
}
