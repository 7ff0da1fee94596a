package imapconn

import (
	"context"

	"github.com/gocyradm/gocyradm/acl"
)

// GetACL returns a mailbox's access control list in the server's order.
func (c *Client) GetACL(ctx context.Context, name string) *Pending[acl.List] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[acl.List](err)
	}
	cmd := &Command{name: "GETACL", expects: []Expect{{Keyword: "ACL", Name: wire}}}
	return startPending(ctx, c, cmd, decodeACL, AString(wire))
}

func decodeACL(res *Result) (acl.List, error) {
	list := acl.List{}
	for _, r := range named(res, "ACL") {
		if r.Err != nil || len(r.Fields)%2 != 1 {
			return nil, &ProtocolError{Rule: "acl-data", Msg: "expected mailbox followed by identifier and rights pairs", Line: r.Raw}
		}
		for i := 1; i < len(r.Fields); i += 2 {
			list = append(list, acl.Entry{ID: r.Fields[i].Text(), Rights: r.Fields[i+1].Text()})
		}
	}
	return list, nil
}

// SetACL sets an identifier's rights on a mailbox; rights may start with + or - to add
// or remove (RFC 4314).
func (c *Client) SetACL(ctx context.Context, name, id, rights string) *Pending[struct{}] {
	if err := acl.ValidateIdentifier(id); err != nil {
		return failed[struct{}](err)
	}
	return c.nameCommand(ctx, "SETACL", name, AString(id), AString(rights))
}

// DeleteACL removes an identifier's entry from a mailbox's access control list.
func (c *Client) DeleteACL(ctx context.Context, name, id string) *Pending[struct{}] {
	if err := acl.ValidateIdentifier(id); err != nil {
		return failed[struct{}](err)
	}
	return c.nameCommand(ctx, "DELETEACL", name, AString(id))
}

// MyRights returns the rights the logged-in user has on a mailbox.
func (c *Client) MyRights(ctx context.Context, name string) *Pending[string] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[string](err)
	}
	cmd := &Command{name: "MYRIGHTS", expects: []Expect{{Keyword: "MYRIGHTS", Name: wire}}}
	return startPending(ctx, c, cmd, func(res *Result) (string, error) {
		r, err := first(res, "MYRIGHTS", "myrights-data")
		if err != nil {
			return "", err
		}
		if r.Err != nil || len(r.Fields) != 2 {
			return "", &ProtocolError{Rule: "myrights-data", Msg: "expected mailbox and rights", Line: r.Raw}
		}
		return r.Fields[1].Text(), nil
	}, AString(wire))
}

// Rights is a LISTRIGHTS answer: the rights always granted to an identifier, and the
// groups of rights that may be granted (each group all or nothing).
type Rights struct {
	Required string
	Optional []string
}

// ListRights returns the rights that may be granted to an identifier on a mailbox.
func (c *Client) ListRights(ctx context.Context, name, id string) *Pending[Rights] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[Rights](err)
	}
	if err := acl.ValidateIdentifier(id); err != nil {
		return failed[Rights](err)
	}
	cmd := &Command{name: "LISTRIGHTS", expects: []Expect{{Keyword: "LISTRIGHTS", Name: wire}}}
	return startPending(ctx, c, cmd, func(res *Result) (Rights, error) {
		r, err := first(res, "LISTRIGHTS", "listrights-data")
		if err != nil {
			return Rights{}, err
		}
		if r.Err != nil || len(r.Fields) < 3 {
			return Rights{}, &ProtocolError{Rule: "listrights-data", Msg: "expected mailbox, identifier and rights", Line: r.Raw}
		}
		out := Rights{Required: r.Fields[2].Text()}
		for _, v := range r.Fields[3:] {
			out.Optional = append(out.Optional, v.Text())
		}
		return out, nil
	}, AString(wire), AString(id))
}
