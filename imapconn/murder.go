package imapconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// A RefusalHandler is told when the server answers one of the client's commands with NO.
// It returns another connection to run the same command on, as a referral asks (RFC 2193:
// NO [REFERRAL imap://...]), or else nil and the error to report instead of the refusal,
// such as the refusal explained or the reason a referral cannot be followed.
type RefusalHandler func(ctx context.Context, refusal *Error) (*Client, error)

// HandleRefusals makes h answer for the commands the server refuses with NO, from now on;
// nil removes the handler. A command run again on another connection is not handed to h
// a second time: a referral is followed at most once.
func (c *Client) HandleRefusals(h RefusalHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refusals = h
}

// refusalHandler returns the client's refusal handler, or nil.
func (c *Client) refusalHandler() RefusalHandler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refusals
}

// refused hands a command's NO to the client's refusal handler, if there is one, and
// returns what the command comes to: its answer on the connection the handler gave, or
// the handler's error.
func (p *Pending[T]) refused(ctx context.Context, err error) (T, error) {
	var zero T
	var no *Error
	var h RefusalHandler
	if p.client != nil {
		h = p.client.refusalHandler()
	}
	if h == nil || p.again == nil || !errors.As(err, &no) || no.Status != "NO" {
		return zero, err
	}
	other, err := h(ctx, no)
	switch {
	case other == nil && err == nil: // a refused command never passes for a successful one
		return zero, no
	case other == nil:
		return zero, err
	}
	if other == p.client {
		return zero, fmt.Errorf("%w (it refers to the same connection)", no)
	}
	retry := p.again(ctx, other)
	retry.again = nil
	v, err := retry.Wait(ctx)
	if errors.Is(err, ErrConnectionLost) {
		// The other connection is lost, not this one: its loss is this command's failure.
		return v, fmt.Errorf("%s: %s", other.Host(), err.Error())
	}
	return v, err
}

// Relocate moves a mailbox to another backend of a Cyrus Murder, onto partition if it is
// not empty: sent to a frontend, RENAME name name server[!partition] makes the frontend
// have the mailbox's backend transfer it (XFER sent to a frontend is not proxied). The
// move of a user's INBOX takes the user's other mailboxes along. As for Xfer, every
// untagged NO or BAD is a failure, returned in the server's words.
func (c *Client) Relocate(ctx context.Context, name, server, partition string) *Pending[struct{}] {
	if err := checkWord("server", server); err != nil {
		return failed[struct{}](err)
	}
	to := server
	if partition != "" {
		if err := checkWord("partition", partition); err != nil {
			return failed[struct{}](err)
		}
		to += "!" + partition
	}
	wire, err := c.wireName(name)
	if err != nil {
		return failed[struct{}](err)
	}
	return startPending(ctx, c, &Command{name: "RENAME"}, func(res *Result) (struct{}, error) {
		return struct{}{}, untaggedFailures(res, "RENAME")
	}, AString(wire), AString(wire), AString(to))
}

// untaggedFailures returns the untagged NO and BAD responses a command received, in the
// server's words, one per line; nil if there were none.
func untaggedFailures(res *Result, command string) error {
	var errs []error
	for _, note := range res.Notes {
		if note.Status == "NO" || note.Status == "BAD" {
			errs = append(errs, &Error{Status: note.Status, Code: note.Code, CodeArgs: note.CodeArgs, Text: strings.TrimSpace(note.Text), Command: command})
		}
	}
	return errors.Join(errs...)
}
