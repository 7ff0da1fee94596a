package imapconn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
)

// Login authenticates with the IMAP LOGIN command. Both arguments are redacted in the trace.
func (c *Client) Login(ctx context.Context, user, password string) error {
	cmd, err := c.start(ctx, &Command{name: "LOGIN"}, []Arg{Secret(AString(user)), Secret(AString(password))})
	if err != nil {
		return err
	}
	res, err := cmd.Wait(ctx)
	if err != nil {
		return err
	}
	return c.refreshCapabilities(ctx, res)
}

// Authenticate runs a SASL exchange with the AUTHENTICATE command, sending the initial
// response inline when the server offers SASL-IR. A client-side SASL error cancels the
// exchange with "*" and is returned. A client that must check the server's last word
// (SCRAM) refuses a success that came too early, and the connection is closed. The
// exchange is redacted in the trace.
func (c *Client) Authenticate(ctx context.Context, sc sasl.Client) error {
	mech, ir, err := sc.Start()
	if err != nil {
		return fmt.Errorf("AUTHENTICATE: %w", err)
	}
	args := []Arg{Atom(mech)}
	inline := ir != nil && c.Has("SASL-IR")
	if inline {
		args = append(args, Secret(Atom(initialResponse(ir))))
		ir = nil
	}
	cmd := &Command{name: "AUTHENTICATE"}
	saslErr, err := c.exchange(ctx, cmd, args, sc, ir)
	if err != nil {
		return err
	}
	res, err := cmd.Wait(ctx)
	if saslErr != nil {
		return fmt.Errorf("AUTHENTICATE %s: %w", mech, saslErr)
	}
	if err != nil {
		return err
	}
	if cc, ok := sc.(completer); ok {
		if err := cc.Complete(); err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrClosed, err))
			return fmt.Errorf("AUTHENTICATE %s: %w", mech, err)
		}
	}
	return c.refreshCapabilities(ctx, res)
}

// initialResponse encodes a SASL-IR initial response: "=" stands for an empty one.
func initialResponse(ir []byte) string {
	if len(ir) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(ir)
}

// exchange writes the AUTHENTICATE command and answers the server's challenges until the
// command completes. ir, if not nil, answers the first challenge. It returns the SASL
// error that made it cancel, if any, and the connection's error.
func (c *Client) exchange(ctx context.Context, cmd *Command, args []Arg, sc sasl.Client, ir []byte) (saslErr, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.trace.sasl.Store(true)
	defer c.trace.sasl.Store(false)
	if err := c.startLocked(ctx, cmd, args); err != nil {
		return nil, err
	}
	for {
		r, err := c.awaitContinuation(ctx, cmd)
		if errors.Is(err, errCompleted) {
			return saslErr, nil
		}
		if err != nil {
			return nil, err
		}
		line := "*"
		if resp, err := answer(sc, r.Text, &ir); err != nil {
			saslErr = err
		} else {
			line = base64.StdEncoding.EncodeToString(resp)
		}
		if err := c.send([]byte(line+"\r\n"), []byte("<redacted>")); err != nil {
			return nil, err
		}
	}
}

// answer returns the response to one base64 challenge; a pending initial response
// answers the first.
func answer(sc sasl.Client, challenge string, ir *[]byte) ([]byte, error) {
	if *ir != nil {
		resp := *ir
		*ir = nil
		return resp, nil
	}
	data, err := base64.StdEncoding.DecodeString(challenge)
	if err != nil {
		return nil, fmt.Errorf("the server's challenge is not base64: %w", err)
	}
	return sc.Next(data)
}

// refreshCapabilities asks for the capabilities after authentication, unless the
// completion announced them.
func (c *Client) refreshCapabilities(ctx context.Context, res *Result) error {
	if res.Status.Code == "CAPABILITY" {
		return nil
	}
	_, err := c.Capability(ctx)
	return err
}

// Capability asks the server for its capabilities and returns them.
func (c *Client) Capability(ctx context.Context) ([]string, error) {
	_, err := c.Execute(ctx, "CAPABILITY", []Expect{{Keyword: "CAPABILITY"}})
	if err != nil {
		return nil, err
	}
	return c.Capabilities(), nil
}

// Logout sends LOGOUT, waits for its completion and closes the connection.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	c.loggingOut = true
	c.mu.Unlock()
	_, err := c.Execute(ctx, "LOGOUT", nil)
	c.fail(ErrClosed)
	return err
}
