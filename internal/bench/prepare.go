package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// The mailboxes the benchmark creates, and the identifier it gives rights to. The tree
// and user.x must not exist beforehand: everything there is removed afterwards.
const (
	root          = "bench"
	aclParent     = root + ".acl"
	lmParent      = root + ".lm"
	oneShotTarget = "user.x"
	benchID       = "benchuser"
	benchRights   = "lrs"
	adminRights   = "lrswipkxtecdan" // x lets the admin delete the mailbox afterwards
	quotaKiB      = 1000000
)

const (
	prepBatch   = 500 // mailboxes whose commands are in flight at once
	prepTimeout = 30 * time.Minute
)

// aclMailbox and lmMailbox name the i-th mailbox of each set, from 1.
func aclMailbox(i int) string { return fmt.Sprintf("%s.m%05d", aclParent, i) }
func lmMailbox(i int) string  { return fmt.Sprintf("%s.m%05d", lmParent, i) }

// login connects to addr in plain IMAP and authenticates with the mechanism the tools use.
func login(ctx context.Context, addr string, cfg *config) (*imapconn.Client, error) {
	sc := sasl.NewPlainClient("", cfg.user, cfg.password)
	if cfg.mech != sasl.Plain {
		var err error
		if sc, err = imapconn.NewSCRAMClient(cfg.mech, cfg.user, cfg.password, ""); err != nil {
			return nil, err
		}
	}
	c, err := imapconn.Dial(ctx, addr, nil, imapconn.Options{})
	if err != nil {
		return nil, err
	}
	if err := c.Authenticate(ctx, sc); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// prepare checks that the benchmark's mailboxes do not exist yet, then creates them. It
// returns the server's greeting text.
func prepare(ctx context.Context, cfg *config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, prepTimeout)
	defer cancel()
	c, err := login(ctx, cfg.server, cfg)
	if err != nil {
		return "", fmt.Errorf("logging in to %s as %s: %w", cfg.server, cfg.user, err)
	}
	defer c.Logout(ctx)
	existing, err := benchMailboxes(ctx, c)
	if err != nil {
		return "", err
	}
	if len(existing) > 0 {
		return "", fmt.Errorf("the server already has %s (and %d more): the benchmark creates and removes %s, %s.* and %s, so it needs a server without them",
			existing[0], len(existing)-1, root, root, oneShotTarget)
	}
	start := time.Now()
	progressf("creating %d + %d mailboxes", cfg.aclMailboxes, cfg.lmMailboxes)
	if err := create(ctx, c, cfg); err != nil {
		return "", errors.Join(fmt.Errorf("preparing the mailboxes: %w", err), cleanup(cfg))
	}
	progressf("created the mailboxes in %v", time.Since(start).Round(time.Second))
	return c.Greeting().Text, nil
}

// create makes the root and the one-shot target with their ACLs, then the rest, which
// inherit the root's ACL: every right for the admin, who may then delete them, and some
// for benchID. The mailboxes with ACLs are quota roots too. One connection is used: on
// Cyrus, parallel CREATEs contend for the mailbox list and are no faster.
func create(ctx context.Context, c *imapconn.Client, cfg *config) error {
	withACL := func(ctx context.Context, c *imapconn.Client, name string) []*imapconn.Pending[struct{}] {
		return []*imapconn.Pending[struct{}]{
			c.Create(ctx, name, imapconn.CreateOptions{}),
			c.SetACL(ctx, name, cfg.user, adminRights),
			c.SetACL(ctx, name, benchID, benchRights),
		}
	}
	withQuota := func(ctx context.Context, c *imapconn.Client, name string) []*imapconn.Pending[struct{}] {
		return []*imapconn.Pending[struct{}]{
			c.Create(ctx, name, imapconn.CreateOptions{}),
			c.SetQuota(ctx, name, []quota.Limit{{Name: "STORAGE", Limit: quotaKiB}}),
		}
	}
	steps := []struct {
		names []string
		start starter
	}{
		{[]string{root, oneShotTarget}, withACL},
		{[]string{aclParent, lmParent}, createOnly},
		{names(cfg.aclMailboxes, aclMailbox), withQuota},
		{names(cfg.lmMailboxes, lmMailbox), createOnly},
	}
	for _, st := range steps {
		if err := pipeline(ctx, c, st.names, st.start); err != nil {
			return err
		}
	}
	return nil
}

// names returns the first n names of a set.
func names(n int, name func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name(i + 1)
	}
	return out
}

// starter starts the commands for one mailbox.
type starter func(ctx context.Context, c *imapconn.Client, name string) []*imapconn.Pending[struct{}]

// createOnly creates a mailbox, which inherits its parent's ACL.
func createOnly(ctx context.Context, c *imapconn.Client, name string) []*imapconn.Pending[struct{}] {
	return []*imapconn.Pending[struct{}]{c.Create(ctx, name, imapconn.CreateOptions{})}
}

// deleteStarter makes sure the admin may delete the mailbox, then deletes it.
func deleteStarter(cfg *config) starter {
	return func(ctx context.Context, c *imapconn.Client, name string) []*imapconn.Pending[struct{}] {
		return []*imapconn.Pending[struct{}]{
			c.SetACL(ctx, name, cfg.user, adminRights),
			c.Delete(ctx, name),
		}
	}
}

// pipeline runs start on every name, prepBatch mailboxes at a time, and returns the
// first failure.
func pipeline(ctx context.Context, c *imapconn.Client, names []string, start starter) error {
	for len(names) > 0 {
		batch := names[:min(len(names), prepBatch)]
		names = names[len(batch):]
		if err := pipelineBatch(ctx, c, batch, start); err != nil {
			return err
		}
	}
	return nil
}

// pipelineBatch starts the commands of every name, then waits for them all, and returns
// the first failure.
func pipelineBatch(ctx context.Context, c *imapconn.Client, batch []string, start starter) error {
	pending := make([][]*imapconn.Pending[struct{}], len(batch))
	for i, name := range batch {
		pending[i] = start(ctx, c, name)
	}
	var first error
	for i, ps := range pending {
		for _, p := range ps {
			if _, err := p.Wait(ctx); err != nil && first == nil {
				first = fmt.Errorf("%s: %w", batch[i], err)
			}
		}
	}
	return first
}

// benchMailboxes lists the mailboxes the benchmark creates that exist on the server.
func benchMailboxes(ctx context.Context, c *imapconn.Client) ([]string, error) {
	var out []string
	for _, pattern := range []string{root, root + ".*", oneShotTarget} {
		items, err := c.List(ctx, "", pattern, imapconn.ListOptions{}).Wait(ctx)
		if err != nil {
			return nil, fmt.Errorf("LIST %s: %w", pattern, err)
		}
		for _, it := range items {
			out = append(out, it.Name)
		}
	}
	return out, nil
}

// cleanup removes every mailbox the benchmark created, children before parents, and
// checks that none is left.
func cleanup(cfg *config) error {
	ctx, cancel := context.WithTimeout(context.Background(), prepTimeout)
	defer cancel()
	start := time.Now()
	c, err := login(ctx, cfg.server, cfg)
	if err != nil {
		return fmt.Errorf("removing the mailboxes: %w", err)
	}
	defer c.Logout(ctx)
	existing, err := benchMailboxes(ctx, c)
	if err != nil {
		return fmt.Errorf("removing the mailboxes: %w", err)
	}
	progressf("removing %d mailboxes", len(existing))
	for _, level := range byDepth(existing) {
		if err := pipeline(ctx, c, level, deleteStarter(cfg)); err != nil {
			return fmt.Errorf("removing the mailboxes: %w", err)
		}
	}
	if left, err := benchMailboxes(ctx, c); err != nil || len(left) > 0 {
		return fmt.Errorf("removing the mailboxes: %d left (%v)", len(left), err)
	}
	progressf("removed the mailboxes in %v", time.Since(start).Round(time.Second))
	return nil
}

// byDepth groups names by their number of levels, deepest first.
func byDepth(names []string) [][]string {
	groups := map[int][]string{}
	for _, n := range names {
		d := strings.Count(n, ".")
		groups[d] = append(groups[d], n)
	}
	var depths []int
	for d := range groups {
		depths = append(depths, d)
	}
	slices.Sort(depths)
	slices.Reverse(depths)
	out := make([][]string, len(depths))
	for i, d := range depths {
		out[i] = groups[d]
	}
	return out
}

// progressf tells the operator on standard error what the benchmark is doing.
func progressf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
