package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/admin"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

// account is a server and the identity gocyradm logs in with.
type account struct {
	srv      testserver.Server
	user     string
	password string
	prefix   string // where the test may create mailboxes, with a trailing separator
}

// cyrusAdmin is the Cyrus administrator, working under the INBOX of the first user,
// which it creates if need be.
func cyrusAdmin(t *testing.T) account {
	srv := testserver.Cyrus(t)
	a := account{srv: srv, user: srv.Admin, password: srv.AdminPassword, prefix: "user." + srv.Users[0] + "."}
	_, err := a.client(t).Create(testCtx(t), "user."+srv.Users[0], imapconn.CreateOptions{}).Wait(testCtx(t))
	var ierr *imapconn.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.Text == "Mailbox already exists") {
		t.Fatal(err)
	}
	return a
}

func dovecotUser(t *testing.T) account {
	srv := testserver.Dovecot(t)
	return account{srv: srv, user: srv.Users[0], password: srv.UserPassword, prefix: "INBOX/"}
}

// result is what one run of gocyradm printed and returned.
type result struct {
	stdout, stderr string
	status         int
}

// gocyradm runs the command in-process against the account's server, with the password
// in the environment and the given standard input.
func (a account) gocyradm(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	t.Setenv("GOCYRADM_PASSWORD", a.password)
	var out, errOut bytes.Buffer
	full := append([]string{"--norc", "-u", a.user, "--cafile", a.srv.CAFile}, args...)
	full = append(full, a.srv.Addr)
	status := run(full, admin.IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return result{stdout: out.String(), stderr: errOut.String(), status: status}
}

// ioFor returns streams writing to out and errOut, with no input and no terminal.
func ioFor(out, errOut io.Writer) admin.IO {
	return admin.IO{In: strings.NewReader(""), Out: out, Err: errOut}
}

// client opens an independent connection to check the server's state.
func (a account) client(t *testing.T) *imapconn.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := imapconn.Dial(ctx, a.srv.Addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, a.user, a.password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout(context.Background()) })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// unique returns a mailbox name no other test run uses.
func (a account) unique(t *testing.T, name string) string {
	return fmt.Sprintf("%s%s %d", a.prefix, name, time.Now().UnixNano()%1e9)
}

func (a account) exists(t *testing.T, c *imapconn.Client, name string) bool {
	t.Helper()
	items, err := c.List(testCtx(t), "", name, imapconn.ListOptions{}).Wait(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(items, func(it imapconn.ListItem) bool { return it.Name == name })
}

func bothServers(t *testing.T, f func(t *testing.T, a account)) {
	t.Run("cyrus", func(t *testing.T) { f(t, cyrusAdmin(t)) })
	t.Run("dovecot", func(t *testing.T) { f(t, dovecotUser(t)) })
}

// deleteRight gives the Cyrus admin the x right that DELETE needs; the owner of a
// Dovecot mailbox has it already.
func (a account) deleteRight(name string) string {
	if a.srv.Name == "cyrus" {
		return fmt.Sprintf("setacl %s %s x; ", quoteWord(name), a.user)
	}
	return ""
}

func quoteWord(s string) string { return admin.Quote(s) }

// TestRoundTrip creates, grants, lists and deletes mailboxes whose names have spaces and
// apostrophes, and checks each step on the server through another connection.
func TestRoundTrip(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := a.unique(t, "it's a box")
		q := quoteWord(name)
		// Cyrus resolves identifiers and refuses unknown groups; Dovecot takes any name,
		// which shows an identifier with a space arriving whole.
		other := "anyone"
		if a.srv.Name == "dovecot" {
			other = "mail admins"
		}
		r := a.gocyradm(t, "", "-c", fmt.Sprintf("createmailbox %s; setacl %s bob lrs %s read; listacl %s", q, q, quoteWord(other), q))
		if r.status != 0 {
			t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
		}
		if !a.exists(t, c, name) {
			t.Fatalf("%q was not created", name)
		}
		entries, err := c.GetACL(testCtx(t), name).Wait(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.ID] = e.Rights
		}
		if got["bob"] != "lrs" || got[other] != "lrs" {
			t.Errorf("server ACL = %v, want bob and %q with lrs", entries, other)
		}
		for _, line := range []string{"bob lrs\n", other + " lrs\n"} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("listacl output lacks %q:\n%s", line, r.stdout)
			}
		}
		r = a.gocyradm(t, "", "-c", a.deleteRight(name)+"deleteacl "+q+" bob; dm "+q)
		if r.status != 0 {
			t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
		}
		if a.exists(t, c, name) {
			t.Errorf("%q still exists after deletemailbox", name)
		}
	})
}

// TestFailingCommandInScript: a failure gives exit 1 and later lines still run; with -e
// nothing after the failure reaches the server.
func TestFailingCommandInScript(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		first, later := a.unique(t, "first"), a.unique(t, "later")
		script := fmt.Sprintf("cm %s\ncm %s\ncm %s\n", quoteWord(first), quoteWord(first), quoteWord(later))
		r := a.gocyradm(t, script, "-f", "-")
		if r.status != 1 {
			t.Errorf("status = %d, want 1; stderr:\n%s", r.status, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "stdin:2: createmailbox: ") {
			t.Errorf("stderr = %q, want the error attributed to stdin:2", r.stderr)
		}
		if !a.exists(t, c, later) {
			t.Errorf("the line after the failure did not run")
		}

		first, later = a.unique(t, "first-e"), a.unique(t, "later-e")
		script = fmt.Sprintf("cm %s\ncm %s\ncm %s\n", quoteWord(first), quoteWord(first), quoteWord(later))
		r = a.gocyradm(t, script, "-e", "--trace")
		if r.status != 1 || !strings.Contains(r.stderr, "stopping at the first error") {
			t.Errorf("with -e: status = %d, want 1 and a note; stderr:\n%s", r.status, r.stderr)
		}
		if strings.Count(r.stderr, "C: ") == 0 || strings.Contains(r.stderr, quoteWire(later)) {
			t.Errorf("with -e, a command after the failure reached the server:\n%s", r.stderr)
		}
		if a.exists(t, c, later) {
			t.Errorf("with -e, the line after the failure ran")
		}
	})
}

// quoteWire returns a name as gocyradm's encoder sends it, to look for it in a trace.
func quoteWire(name string) string { return `"` + name + `"` }

func TestUnknownWordRunsNothing(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := a.unique(t, "never")
		r := a.gocyradm(t, fmt.Sprintf("cm %s\nrm -rf /tmp/x\n", quoteWord(name)), "-f", "-")
		if r.status != 1 || !strings.Contains(r.stderr, "stdin:2: unknown command: rm") {
			t.Errorf("status %d, stderr %q; want 1 and unknown command: rm", r.status, r.stderr)
		}
		if a.exists(t, c, name) {
			t.Errorf("a script with an unknown word ran its first line")
		}
	})
}

// TestNoSmugglingThroughVariables: CR and LF that reach an argument through $VAR are
// refused; no second command reaches the server.
func TestNoSmugglingThroughVariables(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		victim := a.unique(t, "victim")
		if r := a.gocyradm(t, "", "-c", "cm "+quoteWord(victim)); r.status != 0 {
			t.Fatalf("setup: %s", r.stderr)
		}
		t.Setenv("EVIL", "x\r\nz1 DELETE "+quoteWire(victim))
		for _, cmd := range []string{"cm $EVIL", "setacl " + quoteWord(victim) + " $EVIL lr", "lam \"$EVIL\""} {
			r := a.gocyradm(t, "", "--trace", "-c", cmd)
			if r.status != 1 || !strings.Contains(r.stderr, `variable "EVIL" contains control character U+000D`) {
				t.Errorf("%s: status %d, stderr:\n%s\nwant 1 and an error naming the control character", cmd, r.status, r.stderr)
			}
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(line, "C: ") && (strings.Contains(line, "DELETE") || strings.Contains(line, "z1")) {
					t.Errorf("%s: a second command reached the server: %s", cmd, line)
				}
			}
		}
		if !a.exists(t, c, victim) {
			t.Errorf("%q was deleted", victim)
		}
	})
}

func TestConnectionRefusedExits3(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var out, errOut bytes.Buffer
	status := run([]string{"-u", "x", "-c", "lm", addr}, admin.IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if status != 3 || !strings.Contains(errOut.String(), "connection refused") {
		t.Errorf("status %d, stderr %q; want 3 and connection refused", status, errOut.String())
	}
}

func TestWrongPasswordExits4(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		a.password = "wrong-" + a.password
		r := a.gocyradm(t, "", "-c", "lm")
		if r.status != 4 || !strings.Contains(r.stderr, "authentication failed") {
			t.Errorf("status %d, stderr %q; want 4 and authentication failed", r.status, r.stderr)
		}
	})
}

// TestTraceNeverShowsThePassword logs in with each method and looks for the password,
// plain or in base64, in the trace.
func TestTraceNeverShowsThePassword(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		for _, mech := range []string{"login", "PLAIN", "LOGIN"} {
			r := a.gocyradm(t, "", "--trace", "-a", mech, "-c", "lm nothing-matches-this")
			if r.status != 0 {
				t.Fatalf("-a %s: status %d:\n%s", mech, r.status, r.stderr)
			}
			plain := "\x00" + a.user + "\x00" + a.password
			for _, secret := range []string{a.password, base64.StdEncoding.EncodeToString([]byte(a.password)), base64.StdEncoding.EncodeToString([]byte(plain))} {
				if strings.Contains(r.stderr, secret) {
					t.Errorf("-a %s: the trace shows %q:\n%s", mech, secret, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "<redacted>") {
				t.Errorf("-a %s: no redaction in the trace:\n%s", mech, r.stderr)
			}
		}
	})
}
