package main

import (
	"context"
	"fmt"
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

// subscribed reports whether the user of c is subscribed to a mailbox.
func subscribed(t *testing.T, c *imapconn.Client, name string) bool {
	t.Helper()
	return listed(t, c, name, imapconn.ListOptions{Selection: []string{"SUBSCRIBED"}})
}

// TestVerbRename: the old name is gone and the new one is there; renaming a missing
// mailbox fails with the server's words.
func TestVerbRename(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		old := newMailbox(t, a, c, "rename from")
		renamed := a.unique("rename to")
		deleteAtEnd(t, a, c, renamed)
		runOK(t, a, jsonRecord("renamemailbox", old, renamed)+"}\n", "--json", "-c", "renm "+quoteWord(old)+" "+quoteWord(renamed))
		if mailboxExists(t, c, old) || !mailboxExists(t, c, renamed) {
			t.Errorf("after rename: %q exists: %v, %q exists: %v", old, mailboxExists(t, c, old), renamed, mailboxExists(t, c, renamed))
		}
		runFails(t, a, "", "-c:1: renamemailbox: "+noSuchMailbox(a, old)+"\n", "-c", "rename "+quoteWord(old)+" "+quoteWord(old+" again"))
	})
}

// TestVerbSubscribe: LIST (SUBSCRIBED) shows the mailbox after subscribe, and no longer
// after unsubscribe.
func TestVerbSubscribe(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailboxAllRights(t, a, c, "subscribe")
		q := quoteWord(name)
		runOK(t, a, "", "-c", "subscribe "+q)
		if !subscribed(t, c, name) {
			t.Fatalf("%q is not subscribed after subscribe", name)
		}
		runOK(t, a, jsonRecord("unsubscribe", name)+"}\n", "--json", "-c", "unsub "+q)
		if subscribed(t, c, name) {
			t.Errorf("%q is still subscribed after unsubscribe", name)
		}
		runOK(t, a, jsonRecord("subscribe", name)+"}\n", "--json", "-c", "sub "+q)
		if !subscribed(t, c, name) {
			t.Errorf("%q is not subscribed after sub", name)
		}
		runOK(t, a, "", "-c", "unsubscribe "+q)
		if subscribed(t, c, name) {
			t.Errorf("%q is still subscribed after unsubscribe", name)
		}
	})
}

// TestVerbMyRights: the rights as the server reports them to another connection.
func TestVerbMyRights(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailboxAllRights(t, a, c, "myrights")
		want := perServer(a, "lrswipkxtecda", "lrwstipekxacd")
		if got, err := c.MyRights(testCtx(t), name).Wait(testCtx(t)); err != nil || got != want {
			t.Fatalf("MYRIGHTS on another connection = %q, %v; want %q", got, err, want)
		}
		runOK(t, a, want+"\n", "-c", "myrights "+quoteWord(name))
		runOK(t, a, jsonRecord("myrights", name)+`,"mailbox":`+jsonString(name)+`,"rights":"`+want+`"}`+"\n", "--json", "-c", "myrights "+quoteWord(name))
	})
}

func TestVerbListRights(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailbox(t, a, c, "listrights")
		optional := perServer(a, []string{"l", "r", "s", "w", "i", "p", "k", "x", "t", "e", "c", "d", "a", "n", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
			[]string{"l", "r", "w", "s", "t", "p", "i", "e", "k", "x", "a", "c", "d"})
		runOK(t, a, "required: \noptional: "+strings.Join(optional, " ")+"\n", "-c", "listrights "+quoteWord(name)+" bob")
		runOK(t, a, jsonRecord("listrights", name, "bob")+`,"mailbox":`+jsonString(name)+`,"id":"bob","required":"","optional":["`+strings.Join(optional, `","`)+`"]}`+"\n",
			"--json", "-c", "listrights "+quoteWord(name)+" bob")
	})
}

func TestVerbNamespace(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		runOK(t, a, perServer(a, "other \"user.\" \".\"\nshared \"\" \".\"\n", "personal \"\" \"/\"\n"), "-c", "namespace")
		runOK(t, a, jsonRecord("namespace")+perServer(a,
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
		if r.status != 0 || messages(r.stderr) != "" {
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
		if sent := sentCommands(r.stderr); !slices.Contains(sent, "CAPABILITY") {
			t.Errorf("CAPABILITY was not sent: %q", sent)
		}
		r = a.gocyradm(t, "", "--json", "-c", "capability")
		if want := jsonRecord("capability") + `,"capabilities":["` + strings.Join(announced, `","`) + `"]}` + "\n"; r.status != 0 || r.stdout != want {
			t.Errorf("--json: status %d, stdout:\n%s\nwant:\n%s", r.status, r.stdout, want)
		}
	})
}

// appendMessage appends a small message to a mailbox through another connection and returns
// its size in bytes.
func appendMessage(t *testing.T, c *imapconn.Client, name string) int {
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
		full, empty := newMailboxAllRights(t, a, c, "status full"), newMailboxAllRights(t, a, c, "status empty")
		size := appendMessage(t, c, full) + appendMessage(t, c, full)
		missing := a.unique("status missing")
		script := "status " + quoteWord(full) + " " + quoteWord(missing) + " " + quoteWord(empty)
		r := runFails(t, a,
			fmt.Sprintf("%s MESSAGES 2 UNSEEN 2 SIZE %d\n%s MESSAGES 0 UNSEEN 0 SIZE 0\n", full, size, empty),
			"-c:1: status: "+missing+": "+noSuchMailbox(a, missing)+"\n",
			"--trace", "-c", script)
		var statuses []string
		for _, cmd := range sentCommands(r.stderr) {
			if strings.HasPrefix(cmd, "STATUS ") {
				statuses = append(statuses, cmd)
			}
		}
		if want := []string{`STATUS "` + full + `" (MESSAGES UNSEEN SIZE)`, `STATUS "` + missing + `" (MESSAGES UNSEEN SIZE)`, `STATUS "` + empty + `" (MESSAGES UNSEEN SIZE)`}; !slices.Equal(statuses, want) {
			t.Errorf("sent %q, want %q", statuses, want)
		}
		runOK(t, a, jsonRecord("status", full)+`,"mailboxes":[{"mailbox":`+jsonString(full)+fmt.Sprintf(`,"messages":2,"unseen":2,"size":%d}]}`, size)+"\n",
			"--json", "-c", "status "+quoteWord(full))
	})
}

func TestVerbWhoami(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		runOK(t, a, "server: "+a.srv.Addr+"\nuser: "+a.user+"\n", "-c", "whoami")
		r := runOK(t, a, jsonRecord("whoami")+`,"server":"`+a.srv.Addr+`","user":"`+a.user+`","authz":"","authenticated":true}`+"\n", "--trace", "--json", "-c", "whoami")
		idle := a.gocyradm(t, "", "--trace", "-c", "# nothing")
		if sent, want := sentCommands(r.stderr), sentCommands(idle.stderr); !slices.Equal(sent, want) {
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
		name := newMailboxAllRights(t, a, c, "server")
		r := runOK(t, a, a.srv.Addr+"\n"+a.srv.Addr+"\n", "--trace", "-c", "server; connect "+a.srv.Addr+"; subscribe "+quoteWord(name)+"; servername")
		if sent := sentCommands(r.stderr); strings.Count(strings.Join(sent, "\n"), "LOGOUT") != 2 || !slices.Contains(sent, `SUBSCRIBE "`+name+`"`) {
			t.Errorf("want LOGOUT on each connection and SUBSCRIBE on the second; sent %q", sent)
		}
		if logout := strings.Index(r.stderr, " LOGOUT\n"); logout < 0 || !strings.Contains(r.stderr[logout:], "\nS: * OK ") {
			t.Errorf("the first connection was not logged out before the second greeting:\n%s", r.stderr)
		}
		if !subscribed(t, c, name) {
			t.Errorf("the command after server did not run on the new connection")
		}
		_, _ = c.Unsubscribe(testCtx(t), name).Wait(testCtx(t)) // tidying only
		runOK(t, a, jsonRecord("server", a.srv.Addr)+`,"server":"`+a.srv.Addr+`","user":"`+a.user+`","authz":"","authenticated":true}`+"\n"+
			jsonRecord("server")+`,"server":"`+a.srv.Addr+`"}`+"\n",
			"--json", "-c", "server "+a.srv.Addr+"; server")
	})
}

// TestVerbServerNoAuthenticate: server --noauthenticate connects without logging in;
// authenticate then logs in on that connection.
func TestVerbServerNoAuthenticate(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := runOK(t, a, "server: "+a.srv.Addr+"\nuser: (not logged in)\nserver: "+a.srv.Addr+"\nuser: "+a.user+"\n",
			"--trace", "-c", "server -noauth "+a.srv.Addr+"; whoami; authenticate; whoami; namespace > /dev/null")
		sent := sentCommands(r.stderr)
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
		addr := closedAddr(t)
		runFails(t, a, "",
			"-c:1: server: cannot connect: dial tcp "+addr+": connect: connection refused\n"+
				"-c:2: listmailbox: no connection to server (connect with: server HOST)\n",
			"-c", "server "+addr+"\nlm\n")
	})
}

// TestVerbDisconnect: LOGOUT is sent (cyradm sends none), and a later command finds no
// connection.
func TestVerbDisconnect(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := runFails(t, a, "", "-c:2: listmailbox: no connection to server (connect with: server HOST)\n", "--trace", "-c", "disconnect\nlm\ndisc\n")
		if sent := sentCommands(r.stderr); sent[len(sent)-1] != "LOGOUT" || slices.ContainsFunc(sent, func(cmd string) bool { return strings.HasPrefix(cmd, "LIST") }) {
			t.Errorf("want LOGOUT last and no LIST; sent %q", sent)
		}
	})
}

// TestVerbAuthenticate: authenticate as another user logs in again on a new connection;
// the next command runs as that user, as another connection of that user sees.
func TestVerbAuthenticate(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		alice, bob := ordinaryUser(t, a, 0), ordinaryUser(t, a, 1)
		bobClient := bob.client(t)
		if subscribed(t, bobClient, "INBOX") {
			_, _ = bobClient.Unsubscribe(testCtx(t), "INBOX").Wait(testCtx(t)) // the test subscribes it again
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = bobClient.Unsubscribe(ctx, "INBOX").Wait(ctx) // tidying only
		})
		r := runOK(t, alice, "server: "+a.srv.Addr+"\nuser: "+alice.user+"\nserver: "+a.srv.Addr+"\nuser: "+bob.user+"\n",
			"--trace", "-c", "whoami; auth -mech plain "+bob.user+"; whoami; subscribe INBOX")
		if !subscribed(t, bobClient, "INBOX") {
			t.Errorf("subscribe after authenticate did not run as %s", bob.user)
		}
		if sent := strings.Join(sentCommands(r.stderr), "\n"); !strings.Contains(sent, "LOGOUT\nSTARTTLS") {
			t.Errorf("authenticate did not log out and connect again:\n%s", sent)
		}
		runFails(t, alice, "", "-c:1: authenticate: --minssf is not supported: gocyradm negotiates no SASL security layer: TLS protects the connection\n",
			"-c", "authenticate -minssf 56 "+bob.user)
		runOK(t, alice, jsonRecord("authenticate", bob.user)+`,"server":"`+a.srv.Addr+`","user":"`+bob.user+`","authz":"","authenticated":true}`+"\n",
			"--json", "-c", "login "+bob.user)
	})
}

// TestVerbReconstructRecursive: -r reaches the server as RECURSIVE (cyradm's bug 3).
func TestVerbReconstructRecursive(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	name := newMailbox(t, a, c, "reconstruct")
	r := runOK(t, a, "", "--trace", "-c", "reconstruct -r "+quoteWord(name)+"; reconstruct "+quoteWord(name))
	sends(t, r.stderr, `RECONSTRUCT "`+name+`" RECURSIVE`)
	sends(t, r.stderr, `RECONSTRUCT "`+name+`"`)
	runOK(t, a, jsonRecord("reconstruct", "--recursive", name)+"}\n", "--json", "-c", "reconstruct --recursive "+quoteWord(name))
	if !mailboxExists(t, c, name) {
		t.Errorf("%q is gone after reconstruct", name)
	}
}

// TestVerbXferUnknownServer: without a Murder, Cyrus refuses XFER; the server's words
// are reported and the status is 1.
func TestVerbXferUnknownServer(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	name := newMailbox(t, a, c, "xfer")
	r := runFails(t, a, "", "-c:1: xfermailbox: Operation is not supported on mailbox\n", "--trace", "-c", "xfer "+quoteWord(name)+" nowhere.example.org")
	sends(t, r.stderr, `XFER "`+name+`" nowhere.example.org`)
	r = runFails(t, a, `{"verb":"xfermailbox","args":["--partition","p2",`+jsonString(name)+`,"nowhere.example.org"],"ok":false,"error":"Operation is not supported on mailbox"}`+"\n",
		"-c:1: xfermailbox: Operation is not supported on mailbox\n", "--trace", "--json", "-c", "xfer --partition p2 "+quoteWord(name)+" nowhere.example.org")
	sends(t, r.stderr, `XFER "`+name+`" nowhere.example.org p2`)
	if !mailboxExists(t, c, name) {
		t.Errorf("%q is gone after a failed XFER", name)
	}
}

// TestVerbCyrusOnlyOnDovecot: reconstruct and xfermailbox say the server does not
// support them and send nothing.
func TestVerbCyrusOnlyOnDovecot(t *testing.T) {
	a := dovecotUser(t)
	why := "not supported by this server (%s is a Cyrus IMAP command, and the server announces none of Cyrus's own capabilities)"
	r := runFails(t, a, "", "-c:1: reconstruct: "+fmt.Sprintf(why, "RECONSTRUCT")+"\n-c:1: xfermailbox: "+fmt.Sprintf(why, "XFER")+"\n",
		"--trace", "-c", "reconstruct -r INBOX; xfer INBOX otherserver")
	sendsNo(t, r.stderr, "RECONSTRUCT")
	sendsNo(t, r.stderr, "XFER")
}
