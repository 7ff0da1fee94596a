package imapconn

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/gocyradm/gocyradm/mailbox"
)

// ListItem is one mailbox of a LIST response.
type ListItem struct {
	Name      string   // the name in UTF-8
	Delimiter string   // the hierarchy separator, "" if the server has none
	Attrs     []string // the name attributes, such as \HasChildren or \Sent
	Extended  []Value  // extended data items (RFC 5258), such as CHILDINFO
}

// ListOptions selects and decorates a LIST (RFC 5258).
type ListOptions struct {
	Selection []string // selection options, such as SUBSCRIBED or REMOTE
	Return    []string // return options, such as SUBSCRIBED or SPECIAL-USE
}

// List lists the mailboxes matching pattern (UTF-8, with * and % wildcards) under
// reference. Pipelined LISTs each receive the names their own pattern matches.
func (c *Client) List(ctx context.Context, reference, pattern string, opts ListOptions) *Pending[[]ListItem] {
	return c.list(ctx, "LIST", reference, pattern, opts, nil)
}

// Lsub lists the subscribed mailboxes matching pattern with LSUB, for servers without
// LIST-EXTENDED.
func (c *Client) Lsub(ctx context.Context, reference, pattern string) *Pending[[]ListItem] {
	return c.list(ctx, "LSUB", reference, pattern, ListOptions{}, nil)
}

// ListEach lists like List, but hands each mailbox to each as it arrives instead of
// keeping it, so that a long listing is never held whole. each runs in the connection's
// reader goroutine: it must return quickly and must not wait for the connection. A
// malformed mailbox is not handed over; the first one makes Wait's error.
func (c *Client) ListEach(ctx context.Context, reference, pattern string, opts ListOptions, each func(ListItem)) *Pending[struct{}] {
	return c.listEach(ctx, "LIST", reference, pattern, opts, each)
}

// LsubEach is ListEach with LSUB, for servers without LIST-EXTENDED.
func (c *Client) LsubEach(ctx context.Context, reference, pattern string, each func(ListItem)) *Pending[struct{}] {
	return c.listEach(ctx, "LSUB", reference, pattern, ListOptions{}, each)
}

func (c *Client) listEach(ctx context.Context, verb, reference, pattern string, opts ListOptions, each func(ListItem)) *Pending[struct{}] {
	var bad error
	sink := func(r *Response) bool {
		if r.Keyword != verb {
			return false
		}
		item, err := c.listItem(r)
		if err != nil {
			bad = cmp.Or(bad, err)
			return true
		}
		each(item)
		return true
	}
	p := c.list(ctx, verb, reference, pattern, opts, sink)
	return &Pending[struct{}]{cmd: p.cmd, err: p.err, client: p.client, decode: func(*Result) (struct{}, error) {
		return struct{}{}, bad
	}}
}

func (c *Client) list(ctx context.Context, verb, reference, pattern string, opts ListOptions, sink func(*Response) bool) *Pending[[]ListItem] {
	ref, err := c.wirePattern(reference)
	if err != nil {
		return failed[[]ListItem](err)
	}
	pat, err := c.wirePattern(pattern)
	if err != nil {
		return failed[[]ListItem](err)
	}
	var args []Arg
	if len(opts.Selection) > 0 {
		args = append(args, atoms(opts.Selection))
	}
	args = append(args, String(ref), Pattern(pat))
	if len(opts.Return) > 0 {
		args = append(args, Atom("RETURN"), atoms(opts.Return))
	}
	match := func(r *Response) bool {
		sep := '.'
		if d := r.Field(1).Text(); d != "" {
			sep = rune(d[0])
		}
		return mailbox.Match(ref+pat, r.Field(2).Text(), sep)
	}
	cmd := &Command{name: verb, expects: []Expect{{Keyword: verb, Match: match}}, sink: sink}
	return startPending(ctx, c, cmd, func(res *Result) ([]ListItem, error) { return c.decodeList(res, verb) }, args...)
}

// wirePattern encodes a pattern like a name, keeping its wildcards; "" stays "".
func (c *Client) wirePattern(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return c.wireName(s)
}

func atoms(words []string) Arg {
	args := make([]Arg, len(words))
	for i, w := range words {
		args[i] = Atom(w)
	}
	return List(args...)
}

func (c *Client) decodeList(res *Result, verb string) ([]ListItem, error) {
	var items []ListItem
	for _, r := range named(res, verb) {
		item, err := c.listItem(r)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}

// listItem decodes mailbox-list: "(" flags ")" SP (quoted-char / NIL) SP mailbox [SP ext].
func (c *Client) listItem(r *Response) (ListItem, error) {
	if r.Err != nil {
		return ListItem{}, r.Err
	}
	attrs, sep, name := r.Field(0), r.Field(1), r.Field(2)
	if attrs.Kind != KindList || (sep.Kind != KindString && !sep.IsNil()) || (name.Kind != KindAtom && name.Kind != KindString) {
		return ListItem{}, &ProtocolError{Rule: "mailbox-list", Msg: "expected (attributes) delimiter name", Line: r.Raw}
	}
	item := ListItem{Name: c.displayName(name.Text()), Delimiter: sep.Text()}
	for _, a := range attrs.List {
		item.Attrs = append(item.Attrs, a.Text())
	}
	if len(r.Fields) > 3 {
		item.Extended = r.Fields[3:]
	}
	return item, nil
}

// CreateOptions are the optional parts of CREATE.
type CreateOptions struct {
	Partition  string   // Cyrus's partition, sent as the second argument, or PARTITION with Use
	SpecialUse []string // special-use attributes (RFC 6154), such as \Sent
	// Server is the backend of a Cyrus Murder to create the mailbox on, sent to the frontend
	// as (SERVER server [PARTITION partition]). Not "server!partition": with no partition
	// the frontend refuses it, and inside (PARTITION ... USE ...) its imapd crashes.
	Server string
}

// Create creates a mailbox.
func (c *Client) Create(ctx context.Context, name string, opts CreateOptions) *Pending[struct{}] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[struct{}](err)
	}
	more, err := createArgs(opts)
	if err != nil {
		return failed[struct{}](err)
	}
	return startPending(ctx, c, &Command{name: "CREATE"}, noData, append([]Arg{AString(wire)}, more...)...)
}

// createArgs returns what follows the name in CREATE: the partition alone, or a list of
// parameters when there is a server or a special use.
func createArgs(opts CreateOptions) ([]Arg, error) {
	if opts.Partition != "" {
		if err := checkWord("partition", opts.Partition); err != nil {
			return nil, err
		}
	}
	if opts.Server == "" && len(opts.SpecialUse) == 0 {
		if opts.Partition == "" {
			return nil, nil
		}
		return []Arg{AString(opts.Partition)}, nil
	}
	var params []Arg
	if opts.Server != "" {
		if err := checkWord("server", opts.Server); err != nil {
			return nil, err
		}
		params = append(params, Atom("SERVER"), AString(opts.Server))
	}
	if opts.Partition != "" {
		params = append(params, Atom("PARTITION"), AString(opts.Partition))
	}
	if len(opts.SpecialUse) > 0 {
		uses := make([]Arg, len(opts.SpecialUse))
		for i, u := range opts.SpecialUse {
			uses[i] = Flag(u)
		}
		params = append(params, Atom("USE"), List(uses...))
	}
	return []Arg{List(params...)}, nil
}

// Delete deletes a mailbox.
func (c *Client) Delete(ctx context.Context, name string) *Pending[struct{}] {
	return c.nameCommand(ctx, "DELETE", name)
}

// Subscribe adds a mailbox to the subscriptions.
func (c *Client) Subscribe(ctx context.Context, name string) *Pending[struct{}] {
	return c.nameCommand(ctx, "SUBSCRIBE", name)
}

// Unsubscribe removes a mailbox from the subscriptions.
func (c *Client) Unsubscribe(ctx context.Context, name string) *Pending[struct{}] {
	return c.nameCommand(ctx, "UNSUBSCRIBE", name)
}

// Reconstruct asks Cyrus to rebuild a mailbox's index, and its children's if recursive.
func (c *Client) Reconstruct(ctx context.Context, name string, recursive bool) *Pending[struct{}] {
	if !recursive {
		return c.nameCommand(ctx, "RECONSTRUCT", name)
	}
	return c.nameCommand(ctx, "RECONSTRUCT", name, Atom("RECURSIVE"))
}

// nameCommand sends a command whose first argument is a mailbox name and which returns
// no data.
func (c *Client) nameCommand(ctx context.Context, verb, name string, more ...Arg) *Pending[struct{}] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[struct{}](err)
	}
	return startPending(ctx, c, &Command{name: verb}, noData, append([]Arg{AString(wire)}, more...)...)
}

// Rename renames a mailbox, onto another partition (Cyrus) if partition is not empty.
func (c *Client) Rename(ctx context.Context, from, to, partition string) *Pending[struct{}] {
	wireTo, err := c.wireName(to)
	if err != nil {
		return failed[struct{}](err)
	}
	args := []Arg{AString(wireTo)}
	if partition != "" {
		if err := checkWord("partition", partition); err != nil {
			return failed[struct{}](err)
		}
		args = append(args, AString(partition))
	}
	return c.nameCommand(ctx, "RENAME", from, args...)
}

// Xfer moves a mailbox to another server of a Cyrus Murder, onto partition if it is not
// empty, and waits for the move. A frontend may answer an untagged NO and still complete
// with OK: every untagged NO or BAD is a failure, returned in the server's words together
// with the completion's, one per line.
func (c *Client) Xfer(ctx context.Context, name, server, partition string) error {
	wire, err := c.wireName(name)
	if err != nil {
		return err
	}
	if err := checkWord("server", server); err != nil {
		return err
	}
	args := []Arg{AString(wire), AString(server)}
	if partition != "" {
		if err := checkWord("partition", partition); err != nil {
			return err
		}
		args = append(args, AString(partition))
	}
	res, err := c.Execute(ctx, "XFER", nil, args...)
	if res == nil {
		return err
	}
	return errors.Join(untaggedFailures(res, "XFER"), err)
}

// StatusItem is one item of a STATUS response.
type StatusItem struct {
	Name  string
	Value int64
}

// Status asks for status items (such as MESSAGES, UNSEEN, SIZE) of a mailbox.
func (c *Client) Status(ctx context.Context, name string, items []string) *Pending[[]StatusItem] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[[]StatusItem](err)
	}
	cmd := &Command{name: "STATUS", expects: []Expect{{Keyword: "STATUS", Name: wire}}}
	return startPending(ctx, c, cmd, decodeStatus, AString(wire), atoms(items))
}

func decodeStatus(res *Result) ([]StatusItem, error) {
	var out []StatusItem
	for _, r := range named(res, "STATUS") {
		list := r.Field(1)
		if r.Err != nil || list.Kind != KindList || len(list.List)%2 != 0 {
			return nil, &ProtocolError{Rule: "status-att-list", Msg: "expected (name number ...)", Line: r.Raw}
		}
		for i := 0; i < len(list.List); i += 2 {
			n, err := list.List[i+1].Number()
			if err != nil {
				return nil, err
			}
			out = append(out, StatusItem{Name: strings.ToUpper(list.List[i].Text()), Value: n})
		}
	}
	return out, nil
}
