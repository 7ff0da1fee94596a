package imapconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Expect describes untagged data a command waits for: responses with Keyword whose
// first field (the mailbox or quota root they name) is Name. An empty Name matches any.
type Expect struct {
	Keyword string
	Name    string
	Match   func(*Response) bool // if set, used instead of Name
}

// Command is a command sent to the server, waiting for its completion.
type Command struct {
	tag     string
	name    string
	expects []Expect
	upgrade bool // STARTTLS: the reader hands over to the TLS connection on OK
	// sink, if set, is handed each untagged data response as it arrives, in the reader
	// goroutine; the response is kept in the Result only if sink returns false.
	sink func(*Response) bool

	once   sync.Once
	done   chan struct{}
	data   []*Response // routed by the reader goroutine until done
	notes  []*Response
	status *Response
	err    error
}

// Result is what a completed command received.
type Result struct {
	Status *Response   // the tagged completion
	Data   []*Response // the untagged data routed to the command, in arrival order
	Notes  []*Response // untagged status responses (OK, NO, BAD) received while it ran
}

// Name returns the command's name, such as GETACL.
func (cmd *Command) Name() string { return cmd.name }

// Wait waits until the command completes or ctx ends. It returns an *Error when the
// server answered NO or BAD; the Result is returned with it.
func (cmd *Command) Wait(ctx context.Context) (*Result, error) {
	select {
	case <-cmd.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: waiting for the server: %w", cmd.name, ctx.Err())
	}
	if cmd.err != nil {
		return nil, cmd.err
	}
	res := &Result{Status: cmd.status, Data: cmd.data, Notes: cmd.notes}
	if cmd.status.Status != "OK" {
		return res, &Error{Status: cmd.status.Status, Code: cmd.status.Code, CodeArgs: cmd.status.CodeArgs, Text: cmd.status.Text, Command: cmd.name}
	}
	return res, nil
}

func (cmd *Command) finish(status *Response, err error) {
	cmd.once.Do(func() {
		cmd.status, cmd.err = status, err
		close(cmd.done)
	})
}

// add records untagged data; it is called only by the reader goroutine.
func (cmd *Command) add(r *Response) {
	if r.Status != "" {
		cmd.notes = append(cmd.notes, r)
		return
	}
	if cmd.sink != nil && cmd.sink(r) {
		return
	}
	cmd.data = append(cmd.data, r)
}

// wants reports whether the command expects r by keyword and name.
func (cmd *Command) wants(r *Response) bool {
	for _, e := range cmd.expects {
		if e.Keyword != r.Keyword {
			continue
		}
		switch {
		case e.Match != nil:
			if e.Match(r) {
				return true
			}
		case e.Name == "" || e.Name == r.Field(0).Text():
			return true
		}
	}
	return false
}

func (cmd *Command) expectsKeyword(keyword string) bool {
	for _, e := range cmd.expects {
		if e.Keyword == keyword {
			return true
		}
	}
	return false
}

// Start sends a command and returns it without waiting for its completion. The untagged
// responses described by expects are routed to it. Start returns when the whole command
// has been written, after any continuation requests its synchronizing literals need.
func (c *Client) Start(ctx context.Context, name string, expects []Expect, args ...Arg) (*Command, error) {
	return c.start(ctx, &Command{name: name, expects: expects}, args)
}

// Execute sends a command and waits for its completion: the generic path for commands
// without a typed helper, such as Cyrus's RECONSTRUCT and XFER.
func (c *Client) Execute(ctx context.Context, name string, expects []Expect, args ...Arg) (*Result, error) {
	cmd, err := c.Start(ctx, name, expects, args...)
	if err != nil {
		return nil, err
	}
	return cmd.Wait(ctx)
}

func (c *Client) start(ctx context.Context, cmd *Command, args []Arg) (*Command, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.startLocked(ctx, cmd, args); err != nil {
		return nil, err
	}
	return cmd, nil
}

// startLocked registers and writes a command; the caller holds c.wmu.
func (c *Client) startLocked(ctx context.Context, cmd *Command, args []Arg) error {
	cmd.done = make(chan struct{})
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", cmd.name, err)
	}
	cmd.tag = c.nextTag()
	enc := &encoder{literalPlus: c.has("LITERAL+"), literalMinus: c.has("LITERAL-"), utf8: c.utf8}
	c.mu.Unlock()
	chunks, err := enc.encodeCommand(cmd.tag, cmd.name, args)
	if err != nil {
		return err
	}
	if c.dryRun != nil && changing[cmd.name] {
		return c.pretend(cmd, chunks)
	}
	c.mu.Lock()
	c.tagNum++ // the tag is taken only by a command that is sent
	c.pending = append(c.pending, cmd)
	c.mu.Unlock()
	c.dropStaleContinuation()
	return c.writeChunks(ctx, cmd, chunks)
}

// dropStaleContinuation keeps as unsolicited a continuation request that arrived while
// no command was being written, so that it cannot answer for a later command (and let a
// literal go unasked); the caller holds c.wmu.
func (c *Client) dropStaleContinuation() {
	select {
	case r := <-c.contCh:
		c.keep(r)
	default:
	}
}

// writeChunks writes a command's chunks, waiting for a continuation request after each
// synchronizing literal's length. A completion instead of the request (the server refused
// the literal) ends the command without sending the rest.
func (c *Client) writeChunks(ctx context.Context, cmd *Command, chunks []chunk) error {
	c.deadline(ctx)
	for _, ch := range chunks {
		if err := c.send(ch.wire, ch.trace); err != nil {
			return err
		}
		if !ch.waitCont {
			continue
		}
		if _, err := c.awaitContinuation(ctx, cmd); err != nil {
			if errors.Is(err, errCompleted) {
				return nil
			}
			return err
		}
	}
	return nil
}

// send writes bytes and flushes them; a write error ends the connection.
func (c *Client) send(wire, trace []byte) error {
	c.trace.client(trace)
	if _, err := c.bw.Write(wire); err != nil {
		return c.writeFailed(err)
	}
	if err := c.bw.Flush(); err != nil {
		return c.writeFailed(err)
	}
	return nil
}

func (c *Client) writeFailed(err error) error {
	c.fail(fmt.Errorf("%w: %w", ErrConnectionLost, err))
	return c.Err()
}

// errCompleted reports that a command completed while its writer waited for a
// continuation request; its Wait returns the server's answer.
var errCompleted = errors.New("command completed early")

// awaitContinuation waits for the server's "+" for cmd.
func (c *Client) awaitContinuation(ctx context.Context, cmd *Command) (*Response, error) {
	select {
	case r := <-c.contCh:
		return r, nil
	case <-cmd.done:
		return nil, errCompleted
	case <-c.closed:
		return nil, c.Err()
	case <-ctx.Done():
		c.fail(fmt.Errorf("%w: %s: no continuation request from the server: %w", ErrConnectionLost, cmd.name, ctx.Err()))
		return nil, c.Err()
	}
}

// has is Has for a caller that holds c.mu.
func (c *Client) has(capability string) bool {
	for _, s := range c.caps {
		if strings.EqualFold(s, capability) {
			return true
		}
	}
	return false
}

// changing lists the commands that change the server, which a dry run does not send.
var changing = map[string]bool{
	"CREATE": true, "DELETE": true, "RENAME": true, "SUBSCRIBE": true, "UNSUBSCRIBE": true,
	"SETACL": true, "DELETEACL": true, "SETQUOTA": true, "SETMETADATA": true,
	"RECONSTRUCT": true, "XFER": true,
}

// SetDryRun makes the client write the commands that would change the server to w, one
// line each without its tag (secrets redacted), instead of sending them; they complete
// at once with OK. Commands that only read are sent as usual. A nil w ends the dry run.
func (c *Client) SetDryRun(w io.Writer) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.dryRun = w
}

// pretend shows a command instead of sending it and completes it; the caller holds c.wmu.
func (c *Client) pretend(cmd *Command, chunks []chunk) error {
	var line []byte
	for _, ch := range chunks {
		line = append(line, ch.trace...)
	}
	line = append(bytes.TrimSuffix(bytes.TrimPrefix(line, []byte(cmd.tag+" ")), []byte("\r\n")), '\n')
	if _, err := c.dryRun.Write(line); err != nil {
		return err
	}
	cmd.finish(&Response{Tag: cmd.tag, Status: "OK", Keyword: "OK", Text: "not sent (dry run)"}, nil)
	return nil
}
