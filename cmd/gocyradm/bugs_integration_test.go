package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/imapconn"
)

// The tests in this file each pin one of cyradm's bugs (numbered as in its reference)
// that gocyradm must not have; the others are pinned beside the verbs they concern:
// 1 and 15 TestQuotaSetSeveralResources and TestQuotaSetKeepsOtherResources, 2
// TestListQuotaRoot and TestListQuotaErrors, 3 TestVerbReconstructRecursive, 5
// TestMboxcfgUnquotedValue, 11 TestFailingCommandInScript.

// TestBug4WildcardDeleteACL: a wildcard deleteacl removes the identifiers given (not the
// rights), from every mailbox by its own ACL, and reports each mailbox.
func TestBug4WildcardDeleteACL(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		parent := newMailbox(t, a, c, "dam")
		sep := perServer(a, ".", "/")
		kids := []string{parent + sep + "one", parent + sep + "two"}
		for _, k := range kids {
			createMailbox(t, a, c, k)
		}
		mustRun(t, a, fmt.Sprintf("sam %s bob lr; sam %s bob lr carol lrs", quoteWord(kids[0]), quoteWord(kids[1])))
		pattern := parent + sep + "*"
		r := runOK(t, a, fmt.Sprintf("Deleting ACL on %s...OK.\nDeleting ACL on %s...OK.\n", kids[0], kids[1]),
			"-o", "plain", "--trace", "-c", "dam "+quoteWord(pattern)+" bob")
		for _, k := range kids {
			sends(t, r.stderr, "DELETEACL "+quoteWire(k)+" bob")
		}
		for i, k := range kids {
			ids := aclIDs(t, c, k)
			if slices.Contains(ids, "bob") || (i == 1 && !slices.Contains(ids, "carol")) {
				t.Errorf("%s: ACL identifiers after dam: %v", k, ids)
			}
		}
	})
}

func aclIDs(t *testing.T, c *imapconn.Client, name string) []string {
	t.Helper()
	list, err := c.GetACL(testCtx(t), name).Wait(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestBug6SubscribedPattern: listmailbox --subscribed PATTERN sends the pattern as the
// pattern, with an empty reference.
func TestBug6SubscribedPattern(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailboxAllRights(t, a, c, "subpat")
		if _, err := c.Subscribe(testCtx(t), name).Wait(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		r := a.gocyradm(t, "", "-o", "plain", "--trace", "-c", "lm --subscribed "+quoteWord(name))
		if r.status != 0 || !strings.HasPrefix(r.stdout, name+" (\\Subscribed") {
			t.Errorf("status %d, stdout %q; want %s listed as subscribed", r.status, r.stdout, name)
		}
		sends(t, r.stderr, `LIST (SUBSCRIBED) "" `+quoteWire(name))
	})
}

// TestBug7PipedScriptRunsOnce: every command of a piped script reaches the server once,
// and an unknown word is neither run as a program nor followed by a second run.
func TestBug7PipedScriptRunsOnce(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailbox(t, a, c, "once")
		r := a.gocyradm(t, "lam "+quoteWord(name)+"\nlm "+quoteWord(name)+"\n", "--trace")
		if r.status != 0 {
			t.Fatalf("status %d: %s", r.status, r.stderr)
		}
		sent := sentCommands(r.stderr)
		for _, want := range []string{"GETACL " + quoteWire(name), `LIST "" ` + quoteWire(name)} {
			if n := len(slices.DeleteFunc(slices.Clone(sent), func(s string) bool { return s != want })); n != 1 {
				t.Errorf("%s sent %d times", want, n)
			}
		}
	})
}

// TestBug8TLS: --notls sends no STARTTLS; by default STARTTLS is used and the
// certificate verified (an unknown CA fails with exit 3 and a hint); --tls speaks TLS
// from the first byte.
func TestBug8TLS(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := a.gocyradm(t, "", "--notls", "--trace", "-c", "lm nothing-matches")
		if r.status != 0 || slices.Contains(sentCommands(r.stderr), "STARTTLS") {
			t.Errorf("--notls: status %d, trace:\n%s", r.status, r.stderr)
		}
		r = a.gocyradm(t, "", "--trace", "-c", "lm nothing-matches")
		if r.status != 0 || !slices.Contains(sentCommands(r.stderr), "STARTTLS") {
			t.Errorf("default: status %d, STARTTLS not sent:\n%s", r.status, r.stderr)
		}
		r = runGocyradm(t, a.password, "", "-u", a.user, "-c", "lm", a.srv.Addr)
		if r.status != 3 || !strings.Contains(r.stderr, "unknown authority") || !strings.Contains(r.stderr, "--cafile") {
			t.Errorf("untrusted CA: status %d, stderr %q; want 3, unknown authority and a hint", r.status, r.stderr)
		}
		if a.srv.TLSAddr == "" {
			return
		}
		r = runGocyradm(t, a.password, "", "-u", a.user, "--cafile", a.srv.CAFile, "--tls", "-c", "lm nothing-matches", localhostAddr(a.srv.TLSAddr))
		if r.status != 0 {
			t.Errorf("--tls: status %d, stderr %q", r.status, r.stderr)
		}
	})
}

// localhostAddr names the loopback address localhost, the name in the test certificate
// as well as 127.0.0.1.
func localhostAddr(addr string) string {
	return strings.Replace(addr, "127.0.0.1", "localhost", 1)
}

// TestBug9Logout: the session ends with LOGOUT.
func TestBug9Logout(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		r := a.gocyradm(t, "", "--trace", "-c", "lm nothing-matches")
		sent := sentCommands(r.stderr)
		if r.status != 0 || len(sent) == 0 || sent[len(sent)-1] != "LOGOUT" {
			t.Errorf("status %d, last command sent %v", r.status, sent)
		}
	})
}

// TestBug10Order: listacl shows the server's order (as another connection sees it) and
// help the verbs sorted, the same every time.
func TestBug10Order(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := newMailbox(t, a, c, "order")
		ids := []string{"zed", "bob", "mallory", "dave", "carol"}
		for _, id := range ids {
			if _, err := c.SetACL(testCtx(t), name, id, "lr").Wait(testCtx(t)); err != nil {
				t.Fatal(err)
			}
		}
		first := a.gocyradm(t, "", "-c", "lam "+quoteWord(name)+"; help")
		for range 3 {
			if again := a.gocyradm(t, "", "-c", "lam "+quoteWord(name)+"; help"); again.stdout != first.stdout {
				t.Fatalf("output changed between runs:\n%s\n---\n%s", first.stdout, again.stdout)
			}
		}
		want := aclIDs(t, c, name)
		var got []string
		for _, line := range strings.Split(first.stdout, "\n") {
			if id, _, ok := strings.Cut(line, " "); ok && slices.Contains(want, id) {
				got = append(got, id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("listacl order %v, want the server's order %v", got, want)
		}
	})
}

// TestBug12Passwords: the password may come from a file, and with no terminal and no
// password gocyradm exits 4 at once.
func TestBug12Passwords(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		file := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(file, []byte(a.password+"\nignored\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GOCYRADM_PASSWORD", "")
		os.Unsetenv("GOCYRADM_PASSWORD")
		var out, errOut strings.Builder
		base := []string{"--norc", "-u", a.user, "--cafile", a.srv.CAFile, "-c", "lm nothing-matches"}
		if status := run(append([]string{"--password-file", file}, append(base, a.srv.Addr)...), ioFor(&out, &errOut)); status != 0 {
			t.Errorf("--password-file: status %d, stderr %q", status, errOut.String())
		}
		errOut.Reset()
		status := run(append(base, a.srv.Addr), ioFor(&out, &errOut))
		if status != 4 || !strings.Contains(errOut.String(), "no password") {
			t.Errorf("no password, no terminal: status %d, stderr %q; want 4 and no password", status, errOut.String())
		}
	})
}

// TestBug13SetACLPairs: with several pairs, each pair's failure is reported, the other
// pairs are applied, and identifiers with spaces arrive whole.
// Cyrus refuses an unknown group, which makes a failing pair; Dovecot takes any name.
func TestBug13SetACLPairs(t *testing.T) {
	t.Run("cyrus", func(t *testing.T) {
		a := cyrusAdmin(t)
		c := a.client(t)
		name := newMailbox(t, a, c, "pairs")
		r := a.gocyradm(t, "", "-c", fmt.Sprintf("sam %s 'group:no such group' read bob lrs", quoteWord(name)))
		if r.status != 1 || !strings.HasPrefix(messages(r.stderr), "-c:1: setaclmailbox: ") {
			t.Errorf("status %d, stderr %q; want 1 and the first pair's error", r.status, r.stderr)
		}
		if !slices.Contains(aclIDs(t, c, name), "bob") {
			t.Errorf("the pair after the failing one was not applied")
		}
	})
}

// TestBug14UTF8Names: names are typed and shown in UTF-8 and travel in modified UTF-7.
func TestBug14UTF8Names(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := a.unique("Entwürfe")
		mustRun(t, a, "cm "+quoteWord(name))
		deleteAtEnd(t, a, c, name)
		res, err := c.Execute(testCtx(t), "LIST", []imapconn.Expect{{Keyword: "LIST"}}, imapconn.String(""), imapconn.String(strings.Replace(name, "ü", "*", 1)))
		if err != nil || len(res.Data) != 1 || !strings.Contains(res.Data[0].Raw, "Entw&APw-rfe") {
			t.Fatalf("the server's LIST: %v %v; want the name in modified UTF-7", res, err)
		}
		runOK(t, a, name+" (\\HasNoChildren)\n", "-o", "plain", "-c", "lm "+quoteWord(name))
	})
}
