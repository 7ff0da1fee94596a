package admin

import (
	"context"
	"fmt"

	"github.com/gocyradm/gocyradm/imapconn"
)

// DefaultWindow is how many script lines may wait for the server at once, unless the
// session says otherwise.
const DefaultWindow = 128

// pending is a started step waiting for its answers, within its own timeout.
type pending struct {
	step   step
	wait   Waiter
	ctx    context.Context
	cancel context.CancelFunc
}

// runSteps runs steps in order and returns the worst status. Steps are pipelined: each
// is started (its commands sent) in script order without waiting for the answers of
// the ones before, up to a window; their results and errors are written in script
// order. The server processes one connection's commands in order, so every command
// sees the effects of the lines before it. With --stop-on-error every step is
// answered before the next is started, so nothing after a failure reaches the server.
func (s *Session) runSteps(ctx context.Context, steps []step) int {
	status := StatusOK
	window := s.Window
	if window <= 0 {
		window = DefaultWindow
	}
	var queue []pending
	finishOne := func() bool {
		p := queue[0]
		queue = queue[1:]
		st := s.finish(ctx, p)
		status = max(status, st)
		return s.stopAfter(st, len(queue))
	}
	for _, st := range steps {
		for len(queue) > 0 && (len(queue) >= window || s.StopOnError || isBarrier(st)) {
			if finishOne() {
				return status
			}
		}
		if st.st.Shell != "" {
			status = max(status, s.runShell(ctx, st))
			continue
		}
		queue = append(queue, s.begin(ctx, st))
		if s.exit != nil || isBarrier(st) || s.StopOnError {
			if finishOne() {
				return status
			}
		}
		if s.exit != nil {
			return s.exitStatus(status)
		}
	}
	for len(queue) > 0 {
		if finishOne() {
			return status
		}
	}
	return status
}

// isBarrier reports whether a step must run alone, after every earlier one.
func isBarrier(st step) bool {
	return st.st.Shell != "" || st.verb.Barrier
}

// exitStatus is the status the exit verb asked for, or the script's.
func (s *Session) exitStatus(status int) int {
	if *s.exit >= 0 {
		return *s.exit
	}
	return status
}

// stopAfter reports whether the run stops after a step with status st, saying why;
// unanswered are the steps already sent after it.
func (s *Session) stopAfter(st, unanswered int) bool {
	switch {
	case st == StatusLost && unanswered > 0:
		fmt.Fprintf(s.IO.Err, "stopping: the connection to the server is lost; %d later commands were sent and have no answer\n", unanswered)
	case st == StatusLost:
		fmt.Fprintln(s.IO.Err, "stopping: the connection to the server is lost")
	case st != StatusOK && s.StopOnError:
		fmt.Fprintln(s.IO.Err, "stopping at the first error (--stop-on-error)")
	default:
		return false
	}
	return true
}

// begin starts a step: checks that it can run, then sends its commands.
func (s *Session) begin(ctx context.Context, st step) pending {
	cctx, cancel := s.commandContext(ctx)
	p := pending{step: st, ctx: cctx, cancel: cancel}
	if err := s.runnable(st.verb); err != nil {
		p.wait = func(context.Context) (Result, error) { return nil, err }
		return p
	}
	p.wait = st.verb.start(cctx, s, st.args)
	return p
}

// runnable says why a verb cannot run now: no connection, or a server without what it needs.
func (s *Session) runnable(v *Verb) error {
	if v.Offline {
		return nil
	}
	c, err := s.conn()
	if err != nil {
		return err
	}
	if v.Check != nil {
		return v.Check(c)
	}
	return nil
}

// finish waits for a started step's answers, writes its result and error, and returns
// its status.
func (s *Session) finish(ctx context.Context, p pending) int {
	defer p.cancel()
	out, done, err := s.output(ctx, p.step.st)
	if err != nil {
		s.report(p.step, err)
		return StatusFailed
	}
	res, err := s.await(ctx, p)
	if rerr := s.render(out, p.step.verb.Name, p.step.args.Words, res, err); rerr != nil && err == nil {
		err = rerr
	}
	if st, ok := res.(streamer); ok && err == nil {
		err = st.Err()
	}
	if derr := done(); derr != nil && err == nil {
		err = derr
	}
	if err == nil {
		return StatusOK
	}
	s.report(p.step, err)
	if s.lost(err) {
		return StatusLost
	}
	return StatusFailed
}

// await waits for a step's answers. A server that does not answer within the timeout
// leaves the connection in an unknown state: it is closed, and the error says so.
func (s *Session) await(ctx context.Context, p pending) (Result, error) {
	res, err := p.wait(p.ctx)
	if err == nil || p.ctx.Err() == nil || ctx.Err() != nil {
		return res, err
	}
	err = context.Cause(p.ctx)
	if s.Client == nil {
		return res, err // a connect that timed out: the session goes on unconnected
	}
	s.Client.Close()
	return res, fmt.Errorf("%w: %w", imapconn.ErrConnectionLost, err)
}
