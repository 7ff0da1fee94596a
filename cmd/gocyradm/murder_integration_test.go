package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

// murder is the test Murder, with the frontend as the server gocyradm talks to unless a
// test says otherwise.
type murder struct {
	testserver.MurderServers
}

func testMurder(t *testing.T) murder { return murder{testserver.Murder(t)} }

// gocyradm runs the command in-process against the instance at addr, as the admin.
func (m murder) gocyradm(t *testing.T, addr string, args ...string) result {
	t.Helper()
	return runGocyradm(t, m.AdminPassword, "", append(append([]string{"-u", m.Admin}, args...), addr)...)
}

// client opens a connection of its own to the instance at addr, to check its state.
func (m murder) client(t *testing.T, addr string) *imapconn.Client {
	t.Helper()
	return login(t, addr, m.Admin, m.AdminPassword)
}

// murderUser returns the INBOX of a user no other test run uses.
func murderUser(name string) string {
	return fmt.Sprintf("user.%s%d", name, time.Now().UnixNano()%1e9)
}

// holds reports whether the instance at addr has the mailbox itself.
func (m murder) holds(t *testing.T, addr, name string) bool {
	t.Helper()
	return mailboxExists(t, m.client(t, addr), name)
}

// location returns the backend the frontend names for a mailbox, or "NIL".
func (m murder) location(t *testing.T, name string) string {
	t.Helper()
	return entryValue(t, m.client(t, m.Frontend), name, "/shared/vendor/cmu/cyrus-imapd/server")
}

// place creates mailboxes through the frontend, each on the backend that follows it.
func (m murder) place(t *testing.T, mailboxAndServer ...string) {
	t.Helper()
	var script []string
	for i := 0; i < len(mailboxAndServer); i += 2 {
		script = append(script, "cm --server "+mailboxAndServer[i+1]+" "+mailboxAndServer[i])
	}
	if r := m.gocyradm(t, m.Frontend, "-c", strings.Join(script, "; ")); r.status != 0 {
		t.Fatalf("creating %q: status %d, stderr:\n%s", mailboxAndServer, r.status, r.stderr)
	}
}

// TestMurderPlacesAndLists: createmailbox --server puts each mailbox on the backend
// named, and listmailbox --server through the frontend shows where each lives.
func TestMurderPlacesAndLists(t *testing.T) {
	m := testMurder(t)
	one, two := murderUser("pone"), murderUser("ptwo")
	r := m.gocyradm(t, m.Frontend, "-c", fmt.Sprintf("cm --server %s %s; cm --server %s --partition default %s; cm %s.Sub",
		m.Backend1Name, one, m.Backend2Name, two, two))
	if r.status != 0 {
		t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
	}
	for _, tc := range []struct {
		name     string
		on, away string
	}{{one, m.Backend1, m.Backend2}, {two, m.Backend2, m.Backend1}, {two + ".Sub", m.Backend2, m.Backend1}} {
		if !m.holds(t, tc.on, tc.name) || m.holds(t, tc.away, tc.name) {
			t.Errorf("%s is not on %s alone", tc.name, tc.on)
		}
	}
	r = m.gocyradm(t, m.Frontend, "-c", "lm --server user.p*")
	for _, line := range []string{one + " " + m.Backend1Name + " (", two + " " + m.Backend2Name + " (", two + ".Sub " + m.Backend2Name + " ("} {
		if r.status != 0 || !strings.Contains(r.stdout, line) {
			t.Errorf("status %d, stdout lacks %q:\n%s%s", r.status, line, r.stdout, r.stderr)
		}
	}
	r = m.gocyradm(t, m.Frontend, "--json", "-c", "lm --server "+one)
	var rec struct {
		Mailboxes []struct{ Name, Server string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || len(rec.Mailboxes) != 1 || rec.Mailboxes[0].Server != m.Backend1Name {
		t.Errorf("JSON %s (%v): want %s on %s", r.stdout, err, one, m.Backend1Name)
	}
}

// TestMurderACLAndQuotaThroughFrontend: ACLs and quotas of mailboxes on either backend,
// set and read through the frontend, and checked on the backend itself.
func TestMurderACLAndQuotaThroughFrontend(t *testing.T) {
	m := testMurder(t)
	one, two := murderUser("aone"), murderUser("atwo")
	m.place(t, one, m.Backend1Name, two, m.Backend2Name)
	for _, tc := range []struct{ name, backend string }{{one, m.Backend1}, {two, m.Backend2}} {
		r := m.gocyradm(t, m.Frontend, "-c", fmt.Sprintf("sam %s bob lrs carol read; dam %s carol; lam %s; sq %s STORAGE 1000 MESSAGE 50; lq %s",
			tc.name, tc.name, tc.name, tc.name, tc.name))
		if r.status != 0 || !strings.Contains(r.stdout, "bob lrs\n") || !strings.Contains(r.stdout, "STORAGE 0/1000 (0%)\n") ||
			!strings.Contains(r.stdout, "MESSAGE 0/50 (0%)\n") {
			t.Errorf("%s: status %d, stdout:\n%s\nstderr:\n%s", tc.name, r.status, r.stdout, r.stderr)
		}
		c := m.client(t, tc.backend)
		entries, err := c.GetACL(testCtx(t), tc.name).Wait(testCtx(t))
		if err != nil || !slices.ContainsFunc(entries, func(e acl.Entry) bool { return e.ID == "bob" && e.Rights == "lrs" }) ||
			slices.ContainsFunc(entries, func(e acl.Entry) bool { return e.ID == "carol" }) {
			t.Errorf("%s: ACL on its backend = %v (%v), want bob lrs and no carol", tc.name, entries, err)
		}
		q, err := c.GetQuota(testCtx(t), tc.name).Wait(testCtx(t))
		if err != nil || len(q.Resources) != 2 {
			t.Errorf("%s: quota on its backend = %+v (%v), want STORAGE and MESSAGE", tc.name, q, err)
		}
	}
}

// TestMurderXfer: a user moves from backend1 to backend2 through the frontend, with the
// user's other mailboxes; the move shows on backend2 itself and in the location metadata.
func TestMurderXfer(t *testing.T) {
	m := testMurder(t)
	user := murderUser("xone")
	m.place(t, user, m.Backend1Name, user+".Sent", m.Backend1Name)
	r := m.gocyradm(t, m.Frontend, "-c", "xfer "+user+" "+m.Backend2Name)
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
	}
	for _, name := range []string{user, user + ".Sent"} {
		if !m.holds(t, m.Backend2, name) || m.holds(t, m.Backend1, name) {
			t.Errorf("%s is not on backend2 alone after the move", name)
		}
		if got := m.location(t, name); got != m.Backend2Name {
			t.Errorf("the frontend shows %s on %q, want %s", name, got, m.Backend2Name)
		}
	}
}

// TestMurderXferPattern: every user a pattern matches moves, one line each and a summary.
func TestMurderXferPattern(t *testing.T) {
	m := testMurder(t)
	stem := murderUser("xmany")
	one, two, there := stem+"a", stem+"b", stem+"c"
	m.place(t, one, m.Backend1Name, two, m.Backend1Name, there, m.Backend2Name)
	r := m.gocyradm(t, m.Frontend, "-c", "xfer "+stem+"% "+m.Backend2Name)
	want := fmt.Sprintf("Moving %[1]s to %[4]s...OK.\nMoving %[2]s to %[4]s...OK.\n%[3]s is already on %[4]s.\n"+
		"2 of 3 mailboxes moved to %[4]s, 1 already there, 0 failed.\n", one, two, there, m.Backend2Name)
	if r.status != 0 || r.stdout != want {
		t.Errorf("status %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
	for _, name := range []string{one, two} {
		if !m.holds(t, m.Backend2, name) {
			t.Errorf("%s is not on backend2", name)
		}
	}
}

// TestMurderXferUnknownServer: a move to a server the Murder does not know fails with
// the server's words, and the mailbox stays where it was.
func TestMurderXferUnknownServer(t *testing.T) {
	m := testMurder(t)
	user := murderUser("xfail")
	m.place(t, user, m.Backend1Name)
	r := m.gocyradm(t, m.Frontend, "-c", "xfer "+user+" nosuch.lab")
	if want := "-c:1: xfermailbox: Server(s) unavailable to complete operation\n"; r.status != 1 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", r.status, r.stderr, want)
	}
	if !m.holds(t, m.Backend1, user) {
		t.Errorf("%s left backend1", user)
	}
}

// TestMurderBackendDirectly: a backend does not know the other backend's mailboxes, and
// gocyradm says where to look.
func TestMurderBackendDirectly(t *testing.T) {
	m := testMurder(t)
	user := murderUser("elsewhere")
	m.place(t, user, m.Backend2Name)
	r := m.gocyradm(t, m.Backend1, "-c", "lam "+user)
	hint := "is a backend of a Cyrus Murder, which knows only its own mailboxes: the mailbox may live on another backend; connect to the frontend"
	if r.status != 1 || !strings.HasPrefix(r.stderr, "-c:1: listacl: Mailbox does not exist (") || !strings.Contains(r.stderr, hint) {
		t.Errorf("status %d, stderr %q", r.status, r.stderr)
	}
	r = m.gocyradm(t, m.Frontend, "-c", "lam user.nosuch"+user[5:])
	if r.status != 1 || strings.Contains(r.stderr, hint) {
		t.Errorf("through the frontend: status %d, stderr %q; want 1 and no hint", r.status, r.stderr)
	}
}
