package main

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
)

// Integration tests of renamemailbox, subscribe, unsubscribe, reconstruct, xfermailbox,
// myrights, listrights, namespace, capability, status, whoami, server, disconnect and
// authenticate against the real servers. Each runs gocyradm, pins its whole output, and
// checks the server's state afterwards through an independent connection.

// vbTimings matches the timings Dovecot adds to its words, " (0.001 + 0.000 secs).".
var vbTimings = regexp.MustCompile(` \([0-9.+ ]+ secs\)\.?`)

// vbMessages returns standard error without trace lines and without Dovecot's timings.
func vbMessages(stderr string) string {
	return vbTimings.ReplaceAllString(qmUntraced(stderr), "")
}

// vbRun runs gocyradm and fails the test unless it succeeds with exactly the output want
// and no message.
func vbRun(t *testing.T, a account, want string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 0 || r.stdout != want || vbMessages(r.stderr) != "" {
		t.Errorf("gocyradm %q: status %d, stdout:\n%s\nwant 0 and:\n%s\nstderr:\n%s", args, r.status, r.stdout, want, r.stderr)
	}
	return r
}

// vbFail runs gocyradm and fails the test unless it exits 1 with exactly the output
// wantOut and the messages wantErr (Dovecot's timings removed).
func vbFail(t *testing.T, a account, wantOut, wantErr string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 1 || r.stdout != wantOut || vbMessages(r.stderr) != wantErr {
		t.Errorf("gocyradm %q: status %d, stdout:\n%s\nstderr:\n%s\nwant 1, stdout:\n%s\nand messages:\n%s", args, r.status, r.stdout, r.stderr, wantOut, wantErr)
	}
	return r
}

// vbPerServer picks the value for the account's server.
func vbPerServer[T any](a account, cyrus, dovecot T) T {
	if a.srv.Name == "cyrus" {
		return cyrus
	}
	return dovecot
}

// vbMissing is how each server says a mailbox does not exist.
func vbMissing(a account, name string) string {
	return vbPerServer(a, "Mailbox does not exist", "Mailbox doesn't exist: "+name)
}

// vbSubscribed reports whether the user of c is subscribed to a mailbox.
func vbSubscribed(t *testing.T, c *imapconn.Client, name string) bool {
	t.Helper()
	ctx := testCtx(t)
	items, err := c.List(ctx, "", name, imapconn.ListOptions{Selection: []string{"SUBSCRIBED"}}).Wait(ctx)
	if err != nil {
		t.Fatalf("LIST (SUBSCRIBED) %q: %v", name, err)
	}
	return slices.ContainsFunc(items, func(it imapconn.ListItem) bool { return it.Name == name })
}

// vbMailbox creates a mailbox for one test and deletes it when the test ends. On Cyrus
// the admin is granted every right on it: without l, Cyrus answers SUBSCRIBE with
// "Mailbox does not exist", and without r it refuses STATUS.
func vbMailbox(t *testing.T, a account, c *imapconn.Client, what string) string {
	t.Helper()
	name := qmMailbox(t, a, c, what)
	if a.srv.Name == "cyrus" {
		if _, err := c.SetACL(testCtx(t), name, a.user, "lrswipkxtea").Wait(testCtx(t)); err != nil {
			t.Fatalf("SETACL %s: %v", name, err)
		}
	}
	return name
}

// vbDeleteLater deletes a mailbox when the test ends, giving the Cyrus admin the x right
// DELETE needs; a failure is only logged.
func vbDeleteLater(t *testing.T, a account, c *imapconn.Client, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if a.srv.Name == "cyrus" {
			_, _ = c.SetACL(ctx, name, a.user, "lrswipkxtea").Wait(ctx) // DELETE below reports what matters
		}
		if _, err := c.Delete(ctx, name).Wait(ctx); err != nil {
			t.Logf("cleanup: DELETE %s: %v", name, err)
		}
	})
}

// vbUser returns an account that logs in as the server's ordinary user number i, whose
// own mailboxes are under INBOX. On Cyrus the admin creates the user's mailbox if the
// servers were started without it.
func vbUser(t *testing.T, a account, i int) account {
	t.Helper()
	u := account{srv: a.srv, user: a.srv.Users[i], password: a.srv.UserPassword, prefix: vbPerServer(a, "INBOX.", "INBOX/")}
	if a.srv.Name != "cyrus" {
		return u
	}
	c := a.client(t)
	if home := "user." + u.user; !a.exists(t, c, home) {
		if _, err := c.Create(testCtx(t), home, imapconn.CreateOptions{}).Wait(testCtx(t)); err != nil {
			t.Fatalf("creating %s: %v", home, err)
		}
	}
	return u
}

// vbRecord returns the start of the JSON line of a verb that succeeded.
func vbRecord(verb string, args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = qmJSON(a)
	}
	return fmt.Sprintf(`{"verb":%q,"args":[%s],"ok":true`, verb, strings.Join(quoted, ","))
}

// TestVerbRename: the old name is gone and the new one is there; renaming a missing
// mailbox fails with the server's words.
func TestVerbRename(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		old := qmMailbox(t, a, c, "rename from")
		renamed := a.unique(t, "rename to")
		vbDeleteLater(t, a, c, renamed)
		vbRun(t, a, vbRecord("renamemailbox", old, renamed)+"}\n", "--json", "-c", "renm "+quoteWord(old)+" "+quoteWord(renamed))
		if a.exists(t, c, old) || !a.exists(t, c, renamed) {
			t.Errorf("after rename: %q exists: %v, %q exists: %v", old, a.exists(t, c, old), renamed, a.exists(t, c, renamed))
		}
		vbFail(t, a, "", "-c:1: renamemailbox: "+vbMissing(a, old)+"\n", "-c", "rename "+quoteWord(old)+" "+quoteWord(old+" again"))
	})
}

// TestVerbSubscribe: LIST (SUBSCRIBED) shows the mailbox after subscribe, and no longer
// after unsubscribe.
func TestVerbSubscribe(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := vbMailbox(t, a, c, "subscribe")
		q := quoteWord(name)
		vbRun(t, a, "", "-c", "subscribe "+q)
		if !vbSubscribed(t, c, name) {
			t.Fatalf("%q is not subscribed after subscribe", name)
		}
		vbRun(t, a, vbRecord("unsubscribe", name)+"}\n", "--json", "-c", "unsub "+q)
		if vbSubscribed(t, c, name) {
			t.Errorf("%q is still subscribed after unsubscribe", name)
		}
		vbRun(t, a, vbRecord("subscribe", name)+"}\n", "--json", "-c", "sub "+q)
		if !vbSubscribed(t, c, name) {
			t.Errorf("%q is not subscribed after sub", name)
		}
		vbRun(t, a, "", "-c", "unsubscribe "+q)
		if vbSubscribed(t, c, name) {
			t.Errorf("%q is still subscribed after unsubscribe", name)
		}
	})
}

// TestVerbMyRights: the rights as the server reports them to another connection.
func TestVerbMyRights(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := vbMailbox(t, a, c, "myrights")
		want := vbPerServer(a, "lrswipkxtecda", "lrwstipekxacd")
		if got, err := c.MyRights(testCtx(t), name).Wait(testCtx(t)); err != nil || got != want {
			t.Fatalf("MYRIGHTS on another connection = %q, %v; want %q", got, err, want)
		}
		vbRun(t, a, want+"\n", "-c", "myrights "+quoteWord(name))
		vbRun(t, a, vbRecord("myrights", name)+`,"mailbox":`+qmJSON(name)+`,"rights":"`+want+`"}`+"\n", "--json", "-c", "myrights "+quoteWord(name))
	})
}

func TestVerbListRights(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := qmMailbox(t, a, c, "listrights")
		optional := vbPerServer(a, []string{"l", "r", "s", "w", "i", "p", "k", "x", "t", "e", "c", "d", "a", "n", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
			[]string{"l", "r", "w", "s", "t", "p", "i", "e", "k", "x", "a", "c", "d"})
		vbRun(t, a, "required: \noptional: "+strings.Join(optional, " ")+"\n", "-c", "listrights "+quoteWord(name)+" bob")
		vbRun(t, a, vbRecord("listrights", name, "bob")+`,"mailbox":`+qmJSON(name)+`,"id":"bob","required":"","optional":["`+strings.Join(optional, `","`)+`"]}`+"\n",
			"--json", "-c", "listrights "+quoteWord(name)+" bob")
	})
}

func TestVerbNamespace(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		vbRun(t, a, vbPerServer(a, "other \"user.\" \".\"\nshared \"\" \".\"\n", "personal \"\" \"/\"\n"), "-c", "namespace")
		vbRun(t, a, vbRecord("namespace")+vbPerServer(a,
			`,"personal":[],"other":[{"prefix":"user.","delimiter":"."}],"shared":[{"prefix":"","delimiter":"."}]}`,
			`,"personal":[{"prefix":"","delimiter":"/"}],"other":[],"shared":[]}`)+"\n",
			"--json", "-c", "namespace")
	})
}

// TestVerbCapability: one capability per line, exactly as the server's CAPABILITY
// response lists them.
func TestVerbCapability(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := a.gocyradm(t, "", "--trace", "-c", "capability")
		if r.status != 0 || vbMessages(r.stderr) != "" {
			t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
		}
		var announced []string
		for _, line := range strings.Split(r.stderr, "\n") {
			if caps, ok := strings.CutPrefix(line, "S: * CAPABILITY "); ok {
				announced = strings.Fields(caps) // the last one answers the verb
			}
		}
		if len(announced) < 2 || announced[0] != "IMAP4rev1" || !slices.Contains(announced, "ACL") {
			t.Fatalf("the trace shows no CAPABILITY response with IMAP4rev1 and ACL:\n%s", r.stderr)
		}
		if want := strings.Join(announced, "\n") + "\n"; r.stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
		}
		if sent := qmSent(r.stderr); !slices.Contains(sent, "CAPABILITY") {
			t.Errorf("CAPABILITY was not sent: %q", sent)
		}
		r = a.gocyradm(t, "", "--json", "-c", "capability")
		if want := vbRecord("capability") + `,"capabilities":["` + strings.Join(announced, `","`) + `"]}` + "\n"; r.status != 0 || r.stdout != want {
			t.Errorf("--json: status %d, stdout:\n%s\nwant:\n%s", r.status, r.stdout, want)
		}
	})
}

// vbAppend appends a small message to a mailbox through another connection and returns
// its size in bytes.
func vbAppend(t *testing.T, c *imapconn.Client, name string) int {
	t.Helper()
	msg := "From: a@example.org\r\nSubject: status\r\n\r\nhello\r\n"
	if _, err := c.Execute(testCtx(t), "APPEND", nil, imapconn.AString(name), imapconn.Literal([]byte(msg))); err != nil {
		t.Fatalf("APPEND %s: %v", name, err)
	}
	return len(msg)
}

// TestVerbStatus: several mailboxes in one command, pipelined; the counts match what was
// appended; a missing mailbox is reported by name while the others are shown.
func TestVerbStatus(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		full, empty := vbMailbox(t, a, c, "status full"), vbMailbox(t, a, c, "status empty")
		size := vbAppend(t, c, full) + vbAppend(t, c, full)
		missing := a.unique(t, "status missing")
		script := "status " + quoteWord(full) + " " + quoteWord(missing) + " " + quoteWord(empty)
		r := vbFail(t, a,
			fmt.Sprintf("%s MESSAGES 2 UNSEEN 2 SIZE %d\n%s MESSAGES 0 UNSEEN 0 SIZE 0\n", full, size, empty),
			"-c:1: status: "+missing+": "+vbMissing(a, missing)+"\n",
			"--trace", "-c", script)
		var statuses []string
		for _, cmd := range qmSent(r.stderr) {
			if strings.HasPrefix(cmd, "STATUS ") {
				statuses = append(statuses, cmd)
			}
		}
		if want := []string{`STATUS "` + full + `" (MESSAGES UNSEEN SIZE)`, `STATUS "` + missing + `" (MESSAGES UNSEEN SIZE)`, `STATUS "` + empty + `" (MESSAGES UNSEEN SIZE)`}; !slices.Equal(statuses, want) {
			t.Errorf("sent %q, want %q", statuses, want)
		}
		vbRun(t, a, vbRecord("status", full)+`,"mailboxes":[{"mailbox":`+qmJSON(full)+fmt.Sprintf(`,"messages":2,"unseen":2,"size":%d}]}`, size)+"\n",
			"--json", "-c", "status "+quoteWord(full))
	})
}

func TestVerbWhoami(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		vbRun(t, a, "server: "+a.srv.Addr+"\nuser: "+a.user+"\n", "-c", "whoami")
		r := vbRun(t, a, vbRecord("whoami")+`,"server":"`+a.srv.Addr+`","user":"`+a.user+`","authz":"","authenticated":true}`+"\n", "--trace", "--json", "-c", "whoami")
		idle := a.gocyradm(t, "", "--trace", "-c", "# nothing")
		if sent, want := qmSent(r.stderr), qmSent(idle.stderr); !slices.Equal(sent, want) {
			t.Errorf("whoami sent a command: %q, where a session that runs nothing sends %q", sent, want)
		}
	})
}

// TestVerbServer: without an argument, the server's name; with one, LOGOUT on the old
// connection (cyradm never sends it), then a new connection and login, on which the next
// command runs.
func TestVerbServer(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := vbMailbox(t, a, c, "server")
		r := vbRun(t, a, a.srv.Addr+"\n"+a.srv.Addr+"\n", "--trace", "-c", "server; connect "+a.srv.Addr+"; subscribe "+quoteWord(name)+"; servername")
		if sent := qmSent(r.stderr); strings.Count(strings.Join(sent, "\n"), "LOGOUT") != 2 || !slices.Contains(sent, `SUBSCRIBE "`+name+`"`) {
			t.Errorf("want LOGOUT on each connection and SUBSCRIBE on the second; sent %q", sent)
		}
		if logout := strings.Index(r.stderr, " LOGOUT\n"); logout < 0 || !strings.Contains(r.stderr[logout:], "\nS: * OK ") {
			t.Errorf("the first connection was not logged out before the second greeting:\n%s", r.stderr)
		}
		if !vbSubscribed(t, c, name) {
			t.Errorf("the command after server did not run on the new connection")
		}
		_, _ = c.Unsubscribe(testCtx(t), name).Wait(testCtx(t)) // tidying only
		vbRun(t, a, vbRecord("server", a.srv.Addr)+`,"server":"`+a.srv.Addr+`","user":"`+a.user+`","authz":"","authenticated":true}`+"\n"+
			vbRecord("server")+`,"server":"`+a.srv.Addr+`"}`+"\n",
			"--json", "-c", "server "+a.srv.Addr+"; server")
	})
}

// TestVerbServerNoAuthenticate: server --noauthenticate connects without logging in;
// authenticate then logs in on that connection.
func TestVerbServerNoAuthenticate(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := vbRun(t, a, "server: "+a.srv.Addr+"\nuser: (not logged in)\nserver: "+a.srv.Addr+"\nuser: "+a.user+"\n",
			"--trace", "-c", "server -noauth "+a.srv.Addr+"; whoami; authenticate; whoami; namespace > /dev/null")
		sent := qmSent(r.stderr)
		second := sent[slices.Index(sent, "LOGOUT")+1:] // after the startup connection's LOGOUT
		login := []string{"AUTHENTICATE PLAIN <redacted>"}
		if a.srv.Name == "cyrus" {
			login = []string{"AUTHENTICATE SCRAM-SHA-256 <redacted>", "", ""} // and the SCRAM exchange's two answers
		}
		if want := slices.Concat([]string{"STARTTLS", "CAPABILITY"}, login, []string{"NAMESPACE", "LOGOUT"}); !slices.Equal(second, want) {
			t.Errorf("the second connection sent %q, want %q: no login before authenticate", second, want)
		}
	})
}

func TestVerbServerUnreachable(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		addr := vbClosedAddr(t)
		vbFail(t, a, "",
			"-c:1: server: cannot connect: dial tcp "+addr+": connect: connection refused\n"+
				"-c:2: listmailbox: no connection to server (connect with: server HOST)\n",
			"-c", "server "+addr+"\nlm\n")
	})
}

// vbClosedAddr returns a loopback address where nothing listens.
func vbClosedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestVerbDisconnect: LOGOUT is sent (cyradm sends none), and a later command finds no
// connection.
func TestVerbDisconnect(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := vbFail(t, a, "", "-c:2: listmailbox: no connection to server (connect with: server HOST)\n", "--trace", "-c", "disconnect\nlm\ndisc\n")
		if sent := qmSent(r.stderr); sent[len(sent)-1] != "LOGOUT" || slices.ContainsFunc(sent, func(cmd string) bool { return strings.HasPrefix(cmd, "LIST") }) {
			t.Errorf("want LOGOUT last and no LIST; sent %q", sent)
		}
	})
}

// TestVerbAuthenticate: authenticate as another user logs in again on a new connection;
// the next command runs as that user, as another connection of that user sees.
func TestVerbAuthenticate(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		alice, bob := vbUser(t, a, 0), vbUser(t, a, 1)
		bobClient := bob.client(t)
		if vbSubscribed(t, bobClient, "INBOX") {
			_, _ = bobClient.Unsubscribe(testCtx(t), "INBOX").Wait(testCtx(t)) // the test subscribes it again
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = bobClient.Unsubscribe(ctx, "INBOX").Wait(ctx) // tidying only
		})
		r := vbRun(t, alice, "server: "+a.srv.Addr+"\nuser: "+alice.user+"\nserver: "+a.srv.Addr+"\nuser: "+bob.user+"\n",
			"--trace", "-c", "whoami; auth -mech plain "+bob.user+"; whoami; subscribe INBOX")
		if !vbSubscribed(t, bobClient, "INBOX") {
			t.Errorf("subscribe after authenticate did not run as %s", bob.user)
		}
		if sent := strings.Join(qmSent(r.stderr), "\n"); !strings.Contains(sent, "LOGOUT\nSTARTTLS") {
			t.Errorf("authenticate did not log out and connect again:\n%s", sent)
		}
		vbFail(t, alice, "", "-c:1: authenticate: --minssf is not supported: gocyradm negotiates no SASL security layer: TLS protects the connection\n",
			"-c", "authenticate -minssf 56 "+bob.user)
		vbRun(t, alice, vbRecord("authenticate", bob.user)+`,"server":"`+a.srv.Addr+`","user":"`+bob.user+`","authz":"","authenticated":true}`+"\n",
			"--json", "-c", "login "+bob.user)
	})
}

// TestVerbReconstructRecursive: -r reaches the server as RECURSIVE (cyradm's bug 3).
func TestVerbReconstructRecursive(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	name := qmMailbox(t, a, c, "reconstruct")
	r := vbRun(t, a, "", "--trace", "-c", "reconstruct -r "+quoteWord(name)+"; reconstruct "+quoteWord(name))
	qmSends(t, r.stderr, `RECONSTRUCT "`+name+`" RECURSIVE`)
	qmSends(t, r.stderr, `RECONSTRUCT "`+name+`"`)
	vbRun(t, a, vbRecord("reconstruct", "--recursive", name)+"}\n", "--json", "-c", "reconstruct --recursive "+quoteWord(name))
	if !a.exists(t, c, name) {
		t.Errorf("%q is gone after reconstruct", name)
	}
}

// TestVerbXferUnknownServer: without a Murder, Cyrus refuses XFER; the server's words
// are reported and the status is 1.
func TestVerbXferUnknownServer(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	name := qmMailbox(t, a, c, "xfer")
	r := vbFail(t, a, "", "-c:1: xfermailbox: Operation is not supported on mailbox\n", "--trace", "-c", "xfer "+quoteWord(name)+" nowhere.example.org")
	qmSends(t, r.stderr, `XFER "`+name+`" nowhere.example.org`)
	r = vbFail(t, a, `{"verb":"xfermailbox","args":["--partition","p2",`+qmJSON(name)+`,"nowhere.example.org"],"ok":false,"error":"Operation is not supported on mailbox"}`+"\n",
		"-c:1: xfermailbox: Operation is not supported on mailbox\n", "--trace", "--json", "-c", "xfer --partition p2 "+quoteWord(name)+" nowhere.example.org")
	qmSends(t, r.stderr, `XFER "`+name+`" nowhere.example.org p2`)
	if !a.exists(t, c, name) {
		t.Errorf("%q is gone after a failed XFER", name)
	}
}

// TestVerbCyrusOnlyOnDovecot: reconstruct and xfermailbox say the server does not
// support them and send nothing.
func TestVerbCyrusOnlyOnDovecot(t *testing.T) {
	a := dovecotUser(t)
	why := "not supported by this server (%s is a Cyrus IMAP command, and the server announces none of Cyrus's own capabilities)"
	r := vbFail(t, a, "", "-c:1: reconstruct: "+fmt.Sprintf(why, "RECONSTRUCT")+"\n-c:1: xfermailbox: "+fmt.Sprintf(why, "XFER")+"\n",
		"--trace", "-c", "reconstruct -r INBOX; xfer INBOX otherserver")
	qmSendsNo(t, r.stderr, "RECONSTRUCT")
	qmSendsNo(t, r.stderr, "XFER")
}
