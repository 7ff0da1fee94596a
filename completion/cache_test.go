package completion

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/imaptest"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

// fakeServer is an IMAP server that answers LIST and GETACL from its fields, or, when
// stuck, answers nothing after the greeting.
type fakeServer struct {
	stuck bool

	mu    sync.Mutex
	names []string
	acl   map[string][]string // mailbox to identifier, rights, identifier, rights...
	lists int
}

// setNames replaces the server's mailboxes.
func (f *fakeServer) setNames(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names = names
}

// listCount returns how many LISTs the server answered.
func (f *fakeServer) listCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

// dial starts the server on a loopback port and returns a client connected to it.
func (f *fakeServer) dial(t *testing.T) *imapconn.Client {
	t.Helper()
	srv := imaptest.Listen(t, "* OK [CAPABILITY IMAP4rev1 ACL QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE] fake", f.answer)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := imapconn.Dial(ctx, srv.Addr(), nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answer returns the server's answer to one command: none when stuck.
func (f *fakeServer) answer(cmd string) []string {
	if f.stuck {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	words := strings.Fields(cmd)
	var out []string
	switch strings.ToUpper(words[0]) {
	case "LIST":
		f.lists++
		for _, name := range f.names {
			out = append(out, fmt.Sprintf("* LIST () \".\" %q", name))
		}
	case "GETACL":
		name := strings.Trim(words[1], `"`)
		var b strings.Builder
		fmt.Fprintf(&b, "* ACL %q", name)
		for _, w := range f.acl[name] {
			fmt.Fprintf(&b, " %q", w)
		}
		out = append(out, b.String())
	}
	return append(out, "TAG OK done")
}

// eventually waits until cond holds, or fails the test after five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCacheRefresh checks the refresher against a fake server: names on creation and
// after commands that change mailboxes, ACLs fetched when wanted and again after a
// change, resources from the capabilities, and a new start when the connection changes.
func TestCacheRefresh(t *testing.T) {
	f := &fakeServer{names: []string{"user.bob", "user.alice"}, acl: map[string][]string{"user.alice": {"alice", "lrswipkxtea", "bob", "lr"}}}
	k := NewCache(f.dial(t), time.Hour)
	defer k.Close()

	eventually(t, "the names", func() bool { return slices.Equal(k.Names(), []string{"user.alice", "user.bob"}) })
	if got := k.Resources(); !slices.Equal(got, []string{"STORAGE", "MESSAGE"}) {
		t.Errorf("resources: got %q", got)
	}

	f.setNames("user.alice", "user.bob", "user.carol")
	lists := f.listCount()
	k.Ran("listmailbox; whoami")
	time.Sleep(100 * time.Millisecond)
	if f.listCount() != lists {
		t.Errorf("a command that changes no mailbox listed them again")
	}
	k.Ran("whoami; cm user.carol")
	eventually(t, "the new name", func() bool { return slices.Contains(k.Names(), "user.carol") })

	if _, ok := k.ACL("user.alice"); ok {
		t.Errorf("the ACL is known before it was fetched")
	}
	eventually(t, "the ACL", func() bool { list, ok := k.ACL("user.alice"); return ok && len(list) == 2 && list[1].ID == "bob" })

	f.mu.Lock()
	f.acl["user.alice"] = []string{"alice", "lrswipkxtea"}
	f.mu.Unlock()
	k.Ran("sam user.alice bob none")
	eventually(t, "the changed ACL", func() bool { list, ok := k.ACL("user.alice"); return ok && len(list) == 1 })

	k.SetClient(nil)
	if k.Names() != nil || k.Resources() != nil {
		t.Errorf("after disconnecting: names %q, resources %q", k.Names(), k.Resources())
	}
	if _, ok := k.ACL("user.alice"); ok {
		t.Errorf("after disconnecting: an ACL is known")
	}
	k.SetClient(f.dial(t))
	eventually(t, "the names after reconnecting", func() bool { return len(k.Names()) == 3 })
}

// TestCachePeriodic checks that the names are listed again every period.
func TestCachePeriodic(t *testing.T) {
	f := &fakeServer{names: []string{"a"}}
	k := NewCache(f.dial(t), 20*time.Millisecond)
	defer k.Close()
	eventually(t, "the names", func() bool { return len(k.Names()) == 1 })
	f.setNames("a", "b")
	eventually(t, "the names of the next period", func() bool { return len(k.Names()) == 2 })
}

// TestCacheNeverWaits checks that completion answers at once while the server answers
// nothing, and that the refresher stops all the same.
func TestCacheNeverWaits(t *testing.T) {
	f := &fakeServer{stuck: true}
	k := NewCache(f.dial(t), time.Hour)
	c := New(k)
	start := time.Now()
	for _, line := range []string{"lam ", "sam user.alice ", "sam user.bob an", "sam user.carol "} {
		c.Complete(document(line))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("completion took %v against a server that does not answer", d)
	}
	done := make(chan struct{})
	go func() { k.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the refresher")
	}
}

// TestCacheCyrus fills a cache from a real Cyrus server: a mailbox whose name holds a
// space, its ACL, and the quota resources.
func TestCacheCyrus(t *testing.T) {
	srv := testserver.Cyrus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := imapconn.Dial(ctx, srv.Addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(context.Background()) // the server ends the session anyway
	if err := c.Login(ctx, srv.Admin, srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("completion%d test", time.Now().UnixNano())
	if _, err := c.Create(ctx, name, imapconn.CreateOptions{}).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { // best effort: a mailbox left behind only clutters the test server
		c.SetACL(ctx, name, srv.Admin, "lrswipkxtea").Wait(ctx)
		c.Delete(ctx, name).Wait(ctx)
	}()
	if _, err := c.SetACL(ctx, name, "bob", "lrs").Wait(ctx); err != nil {
		t.Fatal(err)
	}

	k := NewCache(c, time.Hour)
	defer k.Close()
	eventually(t, "the new mailbox", func() bool { return slices.Contains(k.Names(), name) })
	eventually(t, "its ACL", func() bool {
		list, _ := k.ACL(name)
		return slices.ContainsFunc(list, func(e acl.Entry) bool { return e.ID == "bob" && e.Rights == "lrs" })
	})
	if !slices.Contains(k.Resources(), "STORAGE") {
		t.Errorf("resources: got %q, want STORAGE among them", k.Resources())
	}
	got := complete(New(k), "lam "+name[:len("completion")+3])
	if !slices.Contains(got, "'"+name+"'") {
		t.Errorf("completion: got %q, want the quoted name", got)
	}
}
