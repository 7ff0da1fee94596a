package imapconn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login connects to addr without TLS and logs in.
func login(t *testing.T, addr, user, password string) *imapconn.Client {
	t.Helper()
	c, err := imapconn.Dial(testCtx(t), addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(testCtx(t), user, password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout(context.Background()) })
	return c
}

// ensureUser creates a Cyrus user's INBOX, which the user's other mailboxes need.
func ensureUser(t *testing.T, c *imapconn.Client, inbox string) {
	t.Helper()
	_, err := c.Create(testCtx(t), inbox, imapconn.CreateOptions{}).Wait(testCtx(t))
	var ierr *imapconn.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.Text == "Mailbox already exists") {
		t.Fatal(err)
	}
}

type account struct {
	c      *imapconn.Client
	prefix string
}

func servers(t *testing.T, f func(t *testing.T, a account)) {
	t.Run("cyrus", func(t *testing.T) {
		srv := testserver.Cyrus(t)
		c := login(t, srv.Addr, srv.Admin, srv.AdminPassword)
		ensureUser(t, c, "user."+srv.Users[0])
		f(t, account{c: c, prefix: "user." + srv.Users[0] + "."})
	})
	t.Run("dovecot", func(t *testing.T) {
		srv := testserver.Dovecot(t)
		f(t, account{c: login(t, srv.Addr, srv.Users[0], srv.UserPassword), prefix: "INBOX/"})
	})
}

// TestPipelinedGetACLOnRealServers sends many GETACLs before reading any answer and
// checks that each gets its own mailbox's ACL.
func TestPipelinedGetACLOnRealServers(t *testing.T) {
	servers(t, func(t *testing.T, a account) {
		ctx := testCtx(t)
		base := fmt.Sprintf("%spipe%d", a.prefix, time.Now().UnixNano()%1e9)
		const n = 30
		var creates, grants []*imapconn.Pending[struct{}]
		for i := range n {
			creates = append(creates, a.c.Create(ctx, fmt.Sprintf("%s-%d", base, i), imapconn.CreateOptions{}))
		}
		for i := range n {
			grants = append(grants, a.c.SetACL(ctx, fmt.Sprintf("%s-%d", base, i), fmt.Sprintf("who%d", i), "lr"))
		}
		for _, p := range append(creates, grants...) {
			if _, err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		lists := make([]*imapconn.Pending[acl.List], n)
		for i := range n {
			lists[i] = a.c.GetACL(ctx, fmt.Sprintf("%s-%d", base, i))
		}
		for i, p := range lists {
			list, err := p.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("who%d", i)
			found := false
			for _, e := range list {
				found = found || e.ID == want
				if strings.HasPrefix(e.ID, "who") && e.ID != want {
					t.Errorf("GETACL %d got %s's entry", i, e.ID)
				}
			}
			if !found {
				t.Errorf("GETACL %d lacks %s: %v", i, want, list)
			}
		}
	})
}

// TestTLSOnCyrus connects with implicit TLS and STARTTLS, verifying against the test CA,
// and checks that an unknown authority and a wrong name are refused.
func TestTLSOnCyrus(t *testing.T) {
	srv := testserver.Cyrus(t)
	ctx := testCtx(t)
	trusted, err := imapconn.TLSConfig("localhost", imapconn.TLSOptions{CAFile: srv.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	c, err := imapconn.Dial(ctx, srv.TLSAddr, trusted, imapconn.Options{})
	if err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	if !c.TLS() {
		t.Error("implicit TLS: TLS() is false")
	}
	c.Close()

	c, err = imapconn.Dial(ctx, srv.Addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS() || !c.Has("STARTTLS") {
		t.Fatalf("plain port: TLS() = %v, STARTTLS offered = %v", c.TLS(), c.Has("STARTTLS"))
	}
	if err := c.StartTLS(ctx, trusted); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	if !c.TLS() || c.Has("STARTTLS") {
		t.Errorf("after STARTTLS: TLS() = %v, capabilities not refreshed: %v", c.TLS(), c.Capabilities())
	}
	if err := c.Login(ctx, srv.Admin, srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	c.Logout(ctx)

	untrusted, _ := imapconn.TLSConfig("localhost", imapconn.TLSOptions{})
	wrongName, _ := imapconn.TLSConfig("not-the-server.example", imapconn.TLSOptions{CAFile: srv.CAFile})
	for _, tc := range []struct {
		name string
		want string
		cfg  *tls.Config
	}{
		{"unknown authority", "signed by an unknown authority", untrusted},
		{"name mismatch", `not valid for "not-the-server.example"`, wrongName},
	} {
		_, err := imapconn.Dial(ctx, srv.TLSAddr, tc.cfg, imapconn.Options{})
		var terr *imapconn.TLSError
		if !errors.As(err, &terr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Dial = %v, want a TLSError containing %q", tc.name, err, tc.want)
		}
	}
}

// TestLiteralsOnRealServers stores a value with a line break and 8-bit text, which must
// travel as literals both ways.
func TestLiteralsOnRealServers(t *testing.T) {
	servers(t, func(t *testing.T, a account) {
		ctx := testCtx(t)
		name := fmt.Sprintf("%slit%d", a.prefix, time.Now().UnixNano()%1e9)
		if _, err := a.c.Create(ctx, name, imapconn.CreateOptions{}).Wait(ctx); err != nil {
			t.Fatal(err)
		}
		value := "first line\r\nsecond: Grüße"
		entry := "/private/comment"
		if _, err := a.c.SetMetadata(ctx, name, []imapconn.Entry{{Name: entry, Value: &value}}).Wait(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := a.c.GetMetadata(ctx, name, []string{entry}, imapconn.MetadataOptions{}).Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Value == nil || *got[0].Value != value {
			t.Errorf("GETMETADATA = %+v, want %q", got, value)
		}
	})
}

// TestServerWordsOnRealServers checks that a refusal carries the server's own words.
func TestServerWordsOnRealServers(t *testing.T) {
	srv := testserver.Cyrus(t)
	c := login(t, srv.Addr, srv.Admin, srv.AdminPassword)
	ctx := testCtx(t)
	_, err := c.Execute(ctx, "NOSUCHCOMMAND", nil, imapconn.Atom("foo"))
	var ierr *imapconn.Error
	if !errors.As(err, &ierr) || ierr.Status != "BAD" || ierr.Text != "Unrecognized command" {
		t.Errorf("NOSUCHCOMMAND = %v, want BAD Unrecognized command", err)
	}
	_, err = c.GetQuota(ctx, "user.nobody-here").Wait(ctx)
	if !errors.As(err, &ierr) || ierr.Status != "NO" || ierr.Text != "Quota root does not exist" {
		t.Errorf("GETQUOTA = %v, want NO Quota root does not exist", err)
	}
}
