package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/admin"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

// The integration tests' harness: the accounts gocyradm logs in with, running gocyradm
// and checking what it printed and sent, and mailboxes made for one test and checked
// through a connection of the test's own.

// account is a server and the identity gocyradm logs in with.
type account struct {
	srv      testserver.Server
	user     string
	password string
	prefix   string // where the test may create mailboxes, with a trailing separator
}

// cyrusAdmin is the Cyrus administrator, working under the INBOX of the first user,
// which it creates if the servers were started without it.
func cyrusAdmin(t *testing.T) account {
	srv := testserver.Cyrus(t)
	a := account{srv: srv, user: srv.Admin, password: srv.AdminPassword, prefix: "user." + srv.Users[0] + "."}
	ensureMailbox(t, a.client(t), "user."+srv.Users[0])
	return a
}

// dovecotUser is Dovecot's first user, working under its own INBOX.
func dovecotUser(t *testing.T) account {
	srv := testserver.Dovecot(t)
	return account{srv: srv, user: srv.Users[0], password: srv.UserPassword, prefix: "INBOX/"}
}

// ordinaryUser returns an account that logs in as the server's ordinary user number i,
// whose own mailboxes are under INBOX. On Cyrus the admin a creates the user's mailbox if
// the servers were started without it.
func ordinaryUser(t *testing.T, a account, i int) account {
	t.Helper()
	u := account{srv: a.srv, user: a.srv.Users[i], password: a.srv.UserPassword, prefix: perServer(a, "INBOX.", "INBOX/")}
	if a.srv.Name == "cyrus" {
		ensureMailbox(t, a.client(t), "user."+u.user)
	}
	return u
}

// bothServers runs f as a subtest on Cyrus, as its admin, and on Dovecot, as its user.
func bothServers(t *testing.T, f func(t *testing.T, a account)) {
	t.Run("cyrus", func(t *testing.T) { f(t, cyrusAdmin(t)) })
	t.Run("dovecot", func(t *testing.T) { f(t, dovecotUser(t)) })
}

// perServer picks the value for the account's server.
func perServer[T any](a account, cyrus, dovecot T) T {
	if a.srv.Name == "cyrus" {
		return cyrus
	}
	return dovecot
}

// noSuchMailbox is how the account's server says a mailbox does not exist.
func noSuchMailbox(a account, name string) string {
	return perServer(a, "Mailbox does not exist", "Mailbox doesn't exist: "+name)
}

// result is what one run of gocyradm printed and returned.
type result struct {
	stdout, stderr string
	status         int
}

// runGocyradm runs gocyradm in-process with --norc and args, the password in the
// environment and stdin as its standard input. args name the user, the CA and the
// server themselves.
func runGocyradm(t *testing.T, password, stdin string, args ...string) result {
	t.Helper()
	t.Setenv("GOCYRADM_PASSWORD", password)
	var out, errOut bytes.Buffer
	status := run(append([]string{"--norc"}, args...), admin.IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return result{stdout: out.String(), stderr: errOut.String(), status: status}
}

// ioFor returns streams writing to out and errOut, with no input and no terminal.
func ioFor(out, errOut io.Writer) admin.IO {
	return admin.IO{In: strings.NewReader(""), Out: out, Err: errOut}
}

// gocyradm runs the command in-process against the account's server, with the password
// in the environment and the given standard input.
func (a account) gocyradm(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	full := append([]string{"-u", a.user, "--cafile", a.srv.CAFile}, args...)
	return runGocyradm(t, a.password, stdin, append(full, a.srv.Addr)...)
}

// mustRun runs a script given with -c and stops the test unless it exits 0.
func mustRun(t *testing.T, a account, script string) result {
	t.Helper()
	r := a.gocyradm(t, "", "-c", script)
	if r.status != 0 {
		t.Fatalf("%s: status %d, stderr:\n%s", script, r.status, r.stderr)
	}
	return r
}

// runOK runs gocyradm and fails the test unless it succeeds with exactly the output want
// and no message.
func runOK(t *testing.T, a account, want string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 0 || r.stdout != want || messages(r.stderr) != "" {
		t.Errorf("gocyradm %q: status %d, stdout:\n%s\nwant 0 and:\n%s\nstderr:\n%s", args, r.status, r.stdout, want, r.stderr)
	}
	return r
}

// runFails runs gocyradm and fails the test unless it exits 1 with exactly the output
// wantOut and the messages wantErr (see messages).
func runFails(t *testing.T, a account, wantOut, wantErr string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 1 || r.stdout != wantOut || messages(r.stderr) != wantErr {
		t.Errorf("gocyradm %q: status %d, stdout:\n%s\nstderr:\n%s\nwant 1, stdout:\n%s\nand messages:\n%s", args, r.status, r.stdout, r.stderr, wantOut, wantErr)
	}
	return r
}

// dovecotTimings matches the timings Dovecot adds to its words, " (0.001 + 0.000 secs).".
var dovecotTimings = regexp.MustCompile(` \([0-9.+ ]+ secs\)\.?`)

// messages returns standard error without the lines of a --trace and without Dovecot's
// timings.
func messages(stderr string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, "C: ") && !strings.HasPrefix(line, "S: ") {
			b.WriteString(line)
		}
	}
	return dovecotTimings.ReplaceAllString(b.String(), "")
}

// sentCommands returns the commands a --trace shows gocyradm sending, without their tags.
func sentCommands(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if cmd, ok := strings.CutPrefix(line, "C: "); ok {
			_, cmd, _ = strings.Cut(cmd, " ")
			out = append(out, cmd)
		}
	}
	return out
}

// sends fails the test unless a --trace shows the command want sent.
func sends(t *testing.T, stderr, want string) {
	t.Helper()
	if !slices.Contains(sentCommands(stderr), want) {
		t.Errorf("%s was not sent; the trace:\n%s", want, stderr)
	}
}

// sendsNo fails the test if a --trace shows a command holding word sent.
func sendsNo(t *testing.T, stderr, word string) {
	t.Helper()
	for _, cmd := range sentCommands(stderr) {
		if strings.Contains(cmd, word) {
			t.Errorf("sent: %s", cmd)
		}
	}
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// jsonRecord returns the start of the JSON line of a verb that succeeded.
func jsonRecord(verb string, args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = jsonString(a)
	}
	return fmt.Sprintf(`{"verb":%q,"args":[%s],"ok":true`, verb, strings.Join(quoted, ","))
}

func quoteWord(s string) string { return admin.Quote(s) }

// quoteWire returns a name as gocyradm's encoder sends it, to look for it in a trace.
func quoteWire(name string) string { return `"` + name + `"` }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login opens a connection of the test's own to the server at addr, to check its state,
// and logs it out when the test ends.
func login(t *testing.T, addr, user, password string) *imapconn.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := imapconn.Dial(ctx, addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, user, password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout(context.Background()) })
	return c
}

// client opens an independent connection to check the server's state.
func (a account) client(t *testing.T) *imapconn.Client {
	t.Helper()
	return login(t, a.srv.Addr, a.user, a.password)
}

// unique returns a mailbox name no other test run uses.
func (a account) unique(name string) string {
	return fmt.Sprintf("%s%s %d", a.prefix, name, time.Now().UnixNano()%1e9)
}

// listed reports whether a LIST with opts shows the mailbox.
func listed(t *testing.T, c *imapconn.Client, name string, opts imapconn.ListOptions) bool {
	t.Helper()
	items, err := c.List(testCtx(t), "", name, opts).Wait(testCtx(t))
	if err != nil {
		t.Fatalf("LIST %q: %v", name, err)
	}
	return slices.ContainsFunc(items, func(it imapconn.ListItem) bool { return it.Name == name })
}

// mailboxExists reports whether the mailbox exists, as c sees it.
func mailboxExists(t *testing.T, c *imapconn.Client, name string) bool {
	t.Helper()
	return listed(t, c, name, imapconn.ListOptions{})
}

// ensureMailbox creates a mailbox that may exist already, and keeps it.
func ensureMailbox(t *testing.T, c *imapconn.Client, name string) {
	t.Helper()
	_, err := c.Create(testCtx(t), name, imapconn.CreateOptions{}).Wait(testCtx(t))
	var ierr *imapconn.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.Text == "Mailbox already exists") {
		t.Fatalf("creating %s: %v", name, err)
	}
}

// allRights are the rights deleteAtEnd and newMailboxAllRights give the Cyrus admin on a
// test's mailbox.
const allRights = "lrswipkxtea"

// newMailbox creates a mailbox no other test uses under the account's prefix, and
// deletes it when the test ends.
func newMailbox(t *testing.T, a account, c *imapconn.Client, what string) string {
	t.Helper()
	name := a.unique(what)
	createMailbox(t, a, c, name)
	return name
}

// newMailboxAllRights is newMailbox where, on Cyrus, the admin is also granted every
// right on the mailbox: without l, Cyrus answers SUBSCRIBE with "Mailbox does not
// exist", and without r it refuses STATUS.
func newMailboxAllRights(t *testing.T, a account, c *imapconn.Client, what string) string {
	t.Helper()
	name := newMailbox(t, a, c, what)
	if a.srv.Name == "cyrus" {
		if _, err := c.SetACL(testCtx(t), name, a.user, allRights).Wait(testCtx(t)); err != nil {
			t.Fatalf("SETACL %s: %v", name, err)
		}
	}
	return name
}

// createMailbox creates a mailbox and deletes it when the test ends; children created
// later are deleted first.
func createMailbox(t *testing.T, a account, c *imapconn.Client, name string) {
	t.Helper()
	if _, err := c.Create(testCtx(t), name, imapconn.CreateOptions{}).Wait(testCtx(t)); err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
	deleteAtEnd(t, a, c, name)
}

// deleteAtEnd deletes a mailbox when the test ends, giving the Cyrus admin the x right
// DELETE needs; a failure is only logged.
func deleteAtEnd(t *testing.T, a account, c *imapconn.Client, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if a.srv.Name == "cyrus" {
			if _, err := c.SetACL(ctx, name, a.user, allRights).Wait(ctx); err != nil {
				t.Logf("cleanup: SETACL %s: %v", name, err)
			}
		}
		if _, err := c.Delete(ctx, name).Wait(ctx); err != nil {
			t.Logf("cleanup: DELETE %s: %v", name, err)
		}
	})
}

// deleteRight gives the Cyrus admin the x right that DELETE needs; the owner of a
// Dovecot mailbox has it already.
func (a account) deleteRight(name string) string {
	if a.srv.Name == "cyrus" {
		return fmt.Sprintf("setacl %s %s x; ", quoteWord(name), a.user)
	}
	return ""
}

// entryValue returns the value of a metadata entry as the server holds it, or "NIL".
func entryValue(t *testing.T, c *imapconn.Client, mbox, entry string) string {
	t.Helper()
	got, err := c.GetMetadata(testCtx(t), mbox, []string{entry}, imapconn.MetadataOptions{}).Wait(testCtx(t))
	if err != nil {
		t.Fatalf("GETMETADATA %q %s: %v", mbox, entry, err)
	}
	for _, e := range got {
		if strings.EqualFold(e.Name, entry) && e.Value != nil {
			return *e.Value
		}
	}
	return "NIL"
}

// listenLoopback listens on a free loopback port.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l := listenLoopback(t)
	defer l.Close()
	return l.Addr().String()
}
