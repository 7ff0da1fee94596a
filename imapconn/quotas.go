package imapconn

import (
	"context"
	"slices"
	"strings"

	"github.com/gocyradm/gocyradm/quota"
)

// GetQuota returns a quota root's resources. Quota roots are named like mailboxes.
func (c *Client) GetQuota(ctx context.Context, root string) *Pending[quota.Root] {
	wire, err := c.wireName(root)
	if err != nil {
		return failed[quota.Root](err)
	}
	cmd := &Command{name: "GETQUOTA", expects: []Expect{{Keyword: "QUOTA", Name: wire}}}
	return startPending(ctx, c, cmd, func(res *Result) (quota.Root, error) {
		roots, err := c.decodeQuotas(res)
		if err != nil || len(roots) == 0 {
			return quota.Root{Name: root}, err
		}
		return roots[0], nil
	}, AString(wire))
}

// QuotaRoots is a GETQUOTAROOT answer: the quota roots of a mailbox and their resources.
type QuotaRoots struct {
	Roots  []string
	Quotas []quota.Root
}

// GetQuotaRoot returns the quota roots of a mailbox and their resources.
func (c *Client) GetQuotaRoot(ctx context.Context, name string) *Pending[QuotaRoots] {
	wire, err := c.wireName(name)
	if err != nil {
		return failed[QuotaRoots](err)
	}
	cmd := &Command{name: "GETQUOTAROOT"}
	// The QUOTA responses name the roots the QUOTAROOT response listed.
	quotaOf := func(r *Response) bool {
		for _, d := range named(&Result{Data: cmd.data}, "QUOTAROOT") {
			if len(d.Fields) > 0 && slices.ContainsFunc(d.Fields[1:], func(v Value) bool { return v.Text() == r.Field(0).Text() }) {
				return true
			}
		}
		return false
	}
	cmd.expects = []Expect{{Keyword: "QUOTAROOT", Name: wire}, {Keyword: "QUOTA", Match: quotaOf}}
	return startPending(ctx, c, cmd, c.decodeQuotaRoots, AString(wire))
}

func (c *Client) decodeQuotaRoots(res *Result) (QuotaRoots, error) {
	var out QuotaRoots
	for _, r := range named(res, "QUOTAROOT") {
		if r.Err != nil || len(r.Fields) < 1 {
			return out, &ProtocolError{Rule: "quotaroot-response", Msg: "expected mailbox and roots", Line: r.Raw}
		}
		for _, v := range r.Fields[1:] {
			out.Roots = append(out.Roots, c.displayName(v.Text()))
		}
	}
	var err error
	out.Quotas, err = c.decodeQuotas(res)
	return out, err
}

// decodeQuotas decodes quota-response: "QUOTA" SP quota-root-name SP "(" resources ")".
func (c *Client) decodeQuotas(res *Result) ([]quota.Root, error) {
	var roots []quota.Root
	for _, r := range named(res, "QUOTA") {
		list := r.Field(1)
		if r.Err != nil || len(r.Fields) != 2 || list.Kind != KindList || len(list.List)%3 != 0 {
			return nil, &ProtocolError{Rule: "quota-response", Msg: "expected root (resource usage limit ...)", Line: r.Raw}
		}
		root := quota.Root{Name: c.displayName(r.Fields[0].Text())}
		for i := 0; i < len(list.List); i += 3 {
			usage, err := list.List[i+1].Number()
			if err != nil {
				return nil, err
			}
			limit, err := list.List[i+2].Number()
			if err != nil {
				return nil, err
			}
			root.Resources = append(root.Resources, quota.Resource{Name: strings.ToUpper(list.List[i].Text()), Usage: usage, Limit: limit})
		}
		roots = append(roots, root)
	}
	return roots, nil
}

// SetQuota replaces a quota root's limits with the given list; an empty list removes them.
func (c *Client) SetQuota(ctx context.Context, root string, limits []quota.Limit) *Pending[struct{}] {
	wire, err := c.wireName(root)
	if err != nil {
		return failed[struct{}](err)
	}
	items := make([]Arg, 0, 2*len(limits))
	for _, l := range limits {
		items = append(items, Atom(l.Name), Atom(itoa(l.Limit)))
	}
	cmd := &Command{name: "SETQUOTA", expects: []Expect{{Keyword: "QUOTA", Name: wire}}}
	return startPending(ctx, c, cmd, noData, AString(wire), List(items...))
}
