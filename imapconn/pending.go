package imapconn

import (
	"context"
	"strconv"
)

// Pending is a command in flight whose answer decodes to a T. Starting several Pending
// commands before waiting on any pipelines them.
type Pending[T any] struct {
	cmd    *Command
	err    error // why the command could not be sent
	decode func(*Result) (T, error)
	client *Client
	again  func(context.Context, *Client) *Pending[T] // the same command, started on another connection
}

// Command returns the command in flight, or nil if it could not be sent.
func (p *Pending[T]) Command() *Command { return p.cmd }

// Wait waits for the command's completion and decodes its data. It returns an *Error
// when the server refused the command.
func (p *Pending[T]) Wait(ctx context.Context) (T, error) {
	var zero T
	if p.err != nil {
		return zero, p.err
	}
	res, err := p.cmd.Wait(ctx)
	if err != nil {
		return p.refused(ctx, err)
	}
	return p.decode(res)
}

// startPending sends a command whose data decode turns into a T.
func startPending[T any](ctx context.Context, c *Client, cmd *Command, decode func(*Result) (T, error), args ...Arg) *Pending[T] {
	sent, err := c.start(ctx, cmd, args)
	again := func(ctx context.Context, other *Client) *Pending[T] {
		return startPending(ctx, other, &Command{name: cmd.name, expects: cmd.expects}, decode, args...)
	}
	return &Pending[T]{cmd: sent, err: err, decode: decode, client: c, again: again}
}

// failed returns a Pending that fails with err without sending anything.
func failed[T any](err error) *Pending[T] { return &Pending[T]{err: err} }

// noData decodes the answer of a command that returns no data.
func noData(*Result) (struct{}, error) { return struct{}{}, nil }

// named returns the data responses with the keyword.
func named(res *Result, keyword string) []*Response {
	var out []*Response
	for _, r := range res.Data {
		if r.Keyword == keyword {
			out = append(out, r)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// first returns the first data response with the keyword; none is a protocol error in
// the grammar rule named.
func first(res *Result, keyword, rule string) (*Response, error) {
	rs := named(res, keyword)
	if len(rs) == 0 {
		return nil, &ProtocolError{Rule: rule, Msg: "the server sent no " + keyword + " response"}
	}
	return rs[0], nil
}
