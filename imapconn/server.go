package imapconn

import (
	"context"
	"strings"
)

// Entry is one metadata entry (RFC 5464): its name and value; a nil value is NIL,
// which SETMETADATA uses to remove an entry.
type Entry struct {
	Name  string
	Value *string
}

// MetadataOptions are GETMETADATA's options; zero values are left out.
type MetadataOptions struct {
	Depth   string // "0", "1" or "infinity"
	MaxSize int64
}

// GetMetadata returns entries of a mailbox, or of the server for the name "".
func (c *Client) GetMetadata(ctx context.Context, name string, entries []string, opts MetadataOptions) *Pending[[]Entry] {
	wire := ""
	if name != "" {
		var err error
		if wire, err = c.wireName(name); err != nil {
			return failed[[]Entry](err)
		}
	}
	var args []Arg
	if o := metadataOptions(opts); o != nil {
		args = append(args, o)
	}
	names := make([]Arg, len(entries))
	for i, e := range entries {
		names[i] = AString(e)
	}
	args = append(args, AString(wire), List(names...))
	cmd := &Command{name: "GETMETADATA", expects: []Expect{{Keyword: "METADATA", Name: wire}}}
	return startPending(ctx, c, cmd, decodeMetadata, args...)
}

func metadataOptions(o MetadataOptions) Arg {
	var opts []Arg
	if o.MaxSize > 0 {
		opts = append(opts, Atom("MAXSIZE"), Atom(itoa(o.MaxSize)))
	}
	if o.Depth != "" {
		opts = append(opts, Atom("DEPTH"), Atom(o.Depth))
	}
	if opts == nil {
		return nil
	}
	return List(opts...)
}

func decodeMetadata(res *Result) ([]Entry, error) {
	var out []Entry
	for _, r := range named(res, "METADATA") {
		list := r.Field(1)
		if r.Err != nil || list.Kind != KindList || len(list.List)%2 != 0 {
			return nil, &ProtocolError{Rule: "metadata-resp", Msg: "expected mailbox (entry value ...)", Line: r.Raw}
		}
		for i := 0; i < len(list.List); i += 2 {
			e := Entry{Name: list.List[i].Text()}
			if v := list.List[i+1]; !v.IsNil() {
				s := v.Text()
				e.Value = &s
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// SetMetadata sets (or, for nil values, removes) entries of a mailbox, or of the server
// for the name "". Values with line breaks or 8-bit data go as literals.
func (c *Client) SetMetadata(ctx context.Context, name string, entries []Entry) *Pending[struct{}] {
	wire := ""
	if name != "" {
		var err error
		if wire, err = c.wireName(name); err != nil {
			return failed[struct{}](err)
		}
	}
	items := make([]Arg, 0, 2*len(entries))
	for _, e := range entries {
		value := Nil()
		if e.Value != nil {
			value = String(*e.Value)
		}
		items = append(items, AString(e.Name), value)
	}
	return startPending(ctx, c, &Command{name: "SETMETADATA"}, noData, AString(wire), List(items...))
}

// Field is one name and value of an ID response.
type Field struct {
	Name, Value string
}

// ID sends the client's identification (nil sends NIL) and returns the server's, in
// the server's order.
func (c *Client) ID(ctx context.Context, client []Field) *Pending[[]Field] {
	arg := Nil()
	if client != nil {
		items := make([]Arg, 0, 2*len(client))
		for _, f := range client {
			items = append(items, String(f.Name), String(f.Value))
		}
		arg = List(items...)
	}
	cmd := &Command{name: "ID", expects: []Expect{{Keyword: "ID"}}}
	return startPending(ctx, c, cmd, func(res *Result) ([]Field, error) {
		var out []Field
		for _, r := range named(res, "ID") {
			list := r.Field(0)
			if list.IsNil() {
				continue
			}
			if list.Kind != KindList || len(list.List)%2 != 0 {
				return nil, &ProtocolError{Rule: "id-response", Msg: "expected NIL or (name value ...)", Line: r.Raw}
			}
			for i := 0; i < len(list.List); i += 2 {
				out = append(out, Field{Name: list.List[i].Text(), Value: list.List[i+1].Text()})
			}
		}
		return out, nil
	}, arg)
}

// Namespace is one namespace: its prefix and hierarchy separator.
type Namespace struct {
	Prefix, Delimiter string
}

// Namespaces is a NAMESPACE answer (RFC 2342).
type Namespaces struct {
	Personal, Other, Shared []Namespace
}

// Namespace returns the server's namespaces.
func (c *Client) Namespace(ctx context.Context) *Pending[Namespaces] {
	cmd := &Command{name: "NAMESPACE", expects: []Expect{{Keyword: "NAMESPACE"}}}
	return startPending(ctx, c, cmd, func(res *Result) (Namespaces, error) {
		var out Namespaces
		for _, r := range named(res, "NAMESPACE") {
			if r.Err != nil || len(r.Fields) != 3 {
				return out, &ProtocolError{Rule: "namespace-response", Msg: "expected three namespace lists", Line: r.Raw}
			}
			for i, dst := range []*[]Namespace{&out.Personal, &out.Other, &out.Shared} {
				for _, ns := range r.Fields[i].List {
					if ns.Kind != KindList || len(ns.List) < 2 {
						return out, &ProtocolError{Rule: "namespace-descr", Msg: "expected (prefix delimiter)", Line: r.Raw}
					}
					*dst = append(*dst, Namespace{Prefix: c.displayName(ns.List[0].Text()), Delimiter: ns.List[1].Text()})
				}
			}
		}
		return out, nil
	})
}

// Enable enables extensions (RFC 5161) and returns those the server enabled. Enabling
// UTF8=ACCEPT makes the client send and show mailbox names as UTF-8.
func (c *Client) Enable(ctx context.Context, extensions ...string) ([]string, error) {
	args := make([]Arg, len(extensions))
	for i, e := range extensions {
		args[i] = Atom(e)
	}
	res, err := c.Execute(ctx, "ENABLE", []Expect{{Keyword: "ENABLED"}}, args...)
	if err != nil {
		return nil, err
	}
	var enabled []string
	for _, r := range named(res, "ENABLED") {
		for _, v := range r.Fields {
			enabled = append(enabled, v.Text())
			if strings.EqualFold(v.Text(), "UTF8=ACCEPT") {
				c.mu.Lock()
				c.utf8 = true
				c.mu.Unlock()
			}
		}
	}
	return enabled, nil
}
