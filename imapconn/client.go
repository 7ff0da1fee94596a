// Package imapconn is an IMAP client core for administration: one connection on which
// many commands may be in flight, with a reader goroutine that routes every response to
// the command it belongs to.
package imapconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// Options configures a Client. The zero value is usable.
type Options struct {
	Trace       io.Writer // if set, receives the conversation as "C: " and "S: " lines, secrets redacted
	MaxLine     int       // the longest response line accepted; DefaultMaxLine if 0
	MaxResponse int64     // the largest response accepted, literals included; DefaultMaxResponse if 0
}

// Client is one IMAP connection. Its methods may be called from several goroutines:
// commands are written in the order their calls obtain the connection, and the server's
// answers are routed back to each command's handle.
type Client struct {
	opts  Options
	host  string
	trace *tracer

	wmu    sync.Mutex // held while a command is written, continuations included
	bw     *bufio.Writer
	dryRun io.Writer // where commands that change the server go instead, if set

	mu          sync.Mutex
	conn        net.Conn
	pending     []*Command
	tagNum      int
	caps        []string
	utf8        bool
	err         error // why the connection ended; set once
	bye         string
	loggingOut  bool
	refusals    RefusalHandler // what follows referrals, if set
	unsolicited []*Response

	greeting *Response
	contCh   chan *Response     // continuation requests for the command being written
	upgrade  chan *bufio.Reader // the reader after STARTTLS, or nil if the handshake failed
	closed   chan struct{}      // closed when the connection ends
}

// NewClient starts a client on conn, which is already connected to host, and reads the
// server's greeting. A BYE greeting is returned as an *Error.
func NewClient(ctx context.Context, conn net.Conn, host string, opts Options) (*Client, error) {
	if opts.MaxLine == 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.MaxResponse == 0 {
		opts.MaxResponse = DefaultMaxResponse
	}
	c := &Client{
		opts:    opts,
		host:    host,
		trace:   newTracer(opts.Trace),
		conn:    conn,
		bw:      bufio.NewWriter(conn),
		contCh:  make(chan *Response, 1),
		upgrade: make(chan *bufio.Reader),
		closed:  make(chan struct{}),
	}
	greeted := make(chan error, 1)
	go c.readLoop(bufio.NewReader(conn), greeted)
	select {
	case err := <-greeted:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		c.fail(ctx.Err())
		return nil, fmt.Errorf("waiting for the server's greeting: %w", ctx.Err())
	}
	return c, nil
}

// Host returns the host name the client was created for.
func (c *Client) Host() string { return c.host }

// Greeting returns the server's greeting.
func (c *Client) Greeting() *Response {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.greeting
}

// Err returns why the connection ended, or nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done returns a channel closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.closed }

// Close ends the connection at once, without LOGOUT; pending commands fail with ErrClosed.
func (c *Client) Close() error {
	c.fail(ErrClosed)
	return nil
}

// Unsolicited returns the untagged responses no command claimed, oldest first (at most 100).
func (c *Client) Unsolicited() []*Response {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Response(nil), c.unsolicited...)
}

// readLoop reads responses until the connection ends. The first response is the greeting,
// reported on greeted.
func (c *Client) readLoop(br *bufio.Reader, greeted chan<- error) {
	f := &framer{r: br, maxLine: c.opts.MaxLine, maxResponse: c.opts.MaxResponse}
	for {
		raw, err := f.next()
		if err != nil {
			c.fail(c.lostError(err))
			if greeted != nil {
				greeted <- fmt.Errorf("reading the server's greeting: %w", c.Err())
			}
			return
		}
		c.trace.server(raw)
		resp, err := ParseResponse(raw)
		if err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrConnectionLost, err))
			if greeted != nil {
				greeted <- err
			}
			return
		}
		if greeted != nil {
			greeted <- c.greet(resp)
			greeted = nil
			continue
		}
		if next, upgraded := c.dispatch(resp, f.r); upgraded {
			if next == nil {
				return
			}
			f.r = next
		}
	}
}

// greet handles the server's greeting.
func (c *Client) greet(r *Response) error {
	c.mu.Lock()
	c.greeting = r
	c.mu.Unlock()
	switch {
	case r.Tag != "*" || (r.Status != "OK" && r.Status != "PREAUTH" && r.Status != "BYE"):
		err := &ProtocolError{Rule: "greeting", Msg: "expected * OK, * PREAUTH or * BYE", Line: r.Raw}
		c.fail(err)
		return err
	case r.Status == "BYE":
		err := &Error{Status: "BYE", Code: r.Code, CodeArgs: r.CodeArgs, Text: r.Text}
		c.fail(fmt.Errorf("%w: server refused the connection: %w", ErrConnectionLost, err))
		return err
	}
	c.noteCapabilities(r)
	return nil
}

// lostError turns a read error into the error every pending command fails with.
func (c *Client) lostError(err error) error {
	c.mu.Lock()
	bye, prior, out := c.bye, c.err, c.loggingOut
	c.mu.Unlock()
	if prior != nil {
		return prior
	}
	if out {
		return ErrClosed
	}
	if bye != "" {
		return fmt.Errorf("%w: server closed the connection: %s", ErrConnectionLost, printable(bye))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: server closed the connection", ErrConnectionLost)
	}
	return fmt.Errorf("%w: %w", ErrConnectionLost, err)
}

// fail ends the connection with err and fails every pending command. Only the first
// call has an effect.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	conn := c.conn
	c.mu.Unlock()
	close(c.closed)
	_ = conn.Close() // the connection is being abandoned; its close error says nothing new
	for _, cmd := range pending {
		cmd.finish(nil, err)
	}
}

// dispatch routes one response. It reports upgraded when the response completed a
// STARTTLS, and then the reader to continue with (nil to stop).
func (c *Client) dispatch(r *Response, br *bufio.Reader) (*bufio.Reader, bool) {
	switch r.Tag {
	case "+":
		select {
		case c.contCh <- r:
		default:
			c.keep(r)
		}
	case "*":
		c.untagged(r)
	default:
		return c.tagged(r, br)
	}
	return nil, false
}

func (c *Client) tagged(r *Response, br *bufio.Reader) (*bufio.Reader, bool) {
	c.mu.Lock()
	var cmd *Command
	for i, p := range c.pending {
		if p.tag == r.Tag {
			cmd = p
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
	if cmd == nil {
		c.keep(r)
		return nil, false
	}
	c.noteCapabilities(r)
	if !cmd.upgrade || r.Status != "OK" {
		cmd.finish(r, nil)
		return nil, false
	}
	if br.Buffered() > 0 {
		// Bytes sent before the TLS handshake could be taken as protected later.
		err := &ProtocolError{Rule: "STARTTLS", Msg: "the server sent data after its answer to STARTTLS"}
		c.fail(fmt.Errorf("%w: %w", ErrConnectionLost, err))
		cmd.finish(nil, c.Err())
		return nil, true
	}
	cmd.finish(r, nil)
	select {
	case next := <-c.upgrade:
		return next, true
	case <-c.closed:
		return nil, true
	}
}

// untagged routes untagged data to the oldest pending command that expects it by keyword
// and name, else to the oldest that expects the keyword at all; status responses go to
// the oldest pending command, as the server is working on it.
func (c *Client) untagged(r *Response) {
	switch r.Keyword {
	case "BYE":
		c.mu.Lock()
		c.bye = strings.TrimSpace(r.Text)
		c.mu.Unlock()
	case "CAPABILITY":
		c.setCapabilities(r.Fields)
	}
	c.noteCapabilities(r)
	c.mu.Lock()
	cmd := c.claimant(r)
	c.mu.Unlock()
	if cmd == nil {
		c.keep(r)
		return
	}
	cmd.add(r)
}

func (c *Client) claimant(r *Response) *Command {
	if r.Status != "" {
		if len(c.pending) > 0 && r.Status != "BYE" {
			return c.pending[0]
		}
		return nil
	}
	for _, p := range c.pending {
		if p.wants(r) {
			return p
		}
	}
	for _, p := range c.pending {
		if p.expectsKeyword(r.Keyword) {
			return p
		}
	}
	return nil
}

func (c *Client) keep(r *Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.unsolicited) == 100 {
		c.unsolicited = c.unsolicited[1:]
	}
	c.unsolicited = append(c.unsolicited, r)
}

// Capabilities returns the server's capabilities as last announced, in its order.
func (c *Client) Capabilities() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.caps...)
}

// Has reports whether the server announced the capability (case-insensitive).
func (c *Client) Has(capability string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.has(capability)
}

func (c *Client) noteCapabilities(r *Response) {
	if r.Code == "CAPABILITY" {
		c.setCapabilities(r.CodeArgs)
	}
}

func (c *Client) setCapabilities(vals []Value) {
	caps := make([]string, 0, len(vals))
	for _, v := range vals {
		if s := v.Text(); s != "" {
			caps = append(caps, s)
		}
	}
	c.mu.Lock()
	c.caps = caps
	c.mu.Unlock()
}

// nextTag returns the tag the next command will have; the caller holds c.mu.
func (c *Client) nextTag() string {
	return "g" + strconv.Itoa(c.tagNum+1)
}

// deadline sets the connection's write deadline from ctx.
func (c *Client) deadline(ctx context.Context) {
	d, _ := ctx.Deadline() // the zero time, when ctx has none, clears the deadline
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	_ = conn.SetWriteDeadline(d) // a connection that cannot take deadlines blocks as before
}

// RemoteAddr returns the server's network address.
func (c *Client) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.RemoteAddr()
}

// TLS reports whether the connection is protected by TLS.
func (c *Client) TLS() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.conn.(*tls.Conn)
	return ok
}
