package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/imapconn"
)

// pipelineScript works under $P: creates, grants, reads and removes, with lines that
// fail (a mailbox created twice, a missing one) and lines that depend on earlier ones.
const pipelineScript = `cm $P
cm $P.a; cm "$P.b c"; cm $P.a
sam $P.a bob read; sam "$P.b c" bob lrs anyone +p
lam $P.a
lam "$P.b c"
lam $P.missing
sam $P.* carol write
lam $P.*
dam $P.a bob
lam $P.a
lm $P*
sq $P STORAGE 1000 MESSAGE 50
lq $P
sq $P MESSAGE none
lq $P
lqr $P.a
setmd $P.a comment "a comment"
getmd $P.a comment
sam $P admin x
sam $P.* admin x
dm "$P.b c"
lm $P*
`

// TestPipelinedEqualsOneAtATime runs the same script pipelined (the default) and one
// command at a time (--window 1), with and without -e, and checks that both print the
// same output and errors and leave the server in the same state.
func TestPipelinedEqualsOneAtATime(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	for _, extra := range [][]string{nil, {"-e"}} {
		var outs, errs, states [2]string
		var statuses [2]int
		for i, window := range []string{"128", "1"} {
			p := strings.ReplaceAll(a.unique("pipe"), " ", "_")
			t.Setenv("P", p)
			args := append([]string{"-o", "plain", "--window", window}, extra...)
			r := a.gocyradm(t, pipelineScript, args...)
			outs[i] = strings.ReplaceAll(r.stdout, p, "$P")
			errs[i] = strings.ReplaceAll(r.stderr, p, "$P")
			statuses[i] = r.status
			states[i] = strings.ReplaceAll(serverState(t, c, p), p, "$P")
			cleanUp(t, a, c, p)
		}
		if outs[0] != outs[1] || errs[0] != errs[1] || statuses[0] != statuses[1] {
			t.Errorf("%v: pipelined and one at a time differ:\nstatus %d vs %d\nstdout:\n%s\n---\n%s\nstderr:\n%s\n---\n%s", extra, statuses[0], statuses[1], outs[0], outs[1], errs[0], errs[1])
		}
		if states[0] != states[1] {
			t.Errorf("%v: the server's state differs:\n%s\n---\n%s", extra, states[0], states[1])
		}
		if statuses[0] != 1 || !strings.Contains(errs[0], "stdin:2: createmailbox: Mailbox already exists") {
			t.Errorf("%v: status %d, stderr:\n%s\nwant 1 and the failure of line 2", extra, statuses[0], errs[0])
		}
		if extra == nil && !strings.Contains(outs[0], "$P.a (\\HasNoChildren)") {
			t.Errorf("the script did not run to the end:\n%s", outs[0])
		}
	}
}

// serverState describes the mailboxes under p, their ACLs and p's quota.
func serverState(t *testing.T, c *imapconn.Client, p string) string {
	t.Helper()
	ctx := testCtx(t)
	items, err := c.List(ctx, "", p+"*", imapconn.ListOptions{}).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	names := itemNames(items)
	slices.Sort(names)
	for _, name := range names {
		list, err := c.GetACL(ctx, name).Wait(ctx)
		fmt.Fprintf(&b, "%s %v %v\n", name, list, err)
	}
	q, err := c.GetQuota(ctx, p).Wait(ctx)
	fmt.Fprintf(&b, "quota %v %v\n", q, err)
	return b.String()
}

func itemNames(items []imapconn.ListItem) []string {
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	return names
}

// cleanUp deletes the mailboxes under p.
func cleanUp(t *testing.T, a account, c *imapconn.Client, p string) {
	t.Helper()
	r := a.gocyradm(t, "", "-y", "-c", fmt.Sprintf("sam %s* %s all; dm %s*", p, a.user, p))
	if r.status != 0 && !strings.Contains(r.stderr, "no mailbox matches") {
		t.Logf("cleanup: %s", r.stderr)
	}
}
