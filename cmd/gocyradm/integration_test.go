package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestRoundTrip creates, grants, lists and deletes mailboxes whose names have spaces and
// apostrophes, and checks each step on the server through another connection.
func TestRoundTrip(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := a.unique("it's a box")
		q := quoteWord(name)
		// Cyrus resolves identifiers and refuses unknown groups; Dovecot takes any name,
		// which shows an identifier with a space arriving whole.
		other := "anyone"
		if a.srv.Name == "dovecot" {
			other = "mail admins"
		}
		r := mustRun(t, a, fmt.Sprintf("createmailbox %s; setacl %s bob lrs %s read; listacl %s", q, q, quoteWord(other), q))
		if !mailboxExists(t, c, name) {
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
		mustRun(t, a, a.deleteRight(name)+"deleteacl "+q+" bob; dm "+q)
		if mailboxExists(t, c, name) {
			t.Errorf("%q still exists after deletemailbox", name)
		}
	})
}

// TestFailingCommandInScript: a failure gives exit 1 and later lines still run; with -e
// nothing after the failure reaches the server.
func TestFailingCommandInScript(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		first, later := a.unique("first"), a.unique("later")
		script := fmt.Sprintf("cm %s\ncm %s\ncm %s\n", quoteWord(first), quoteWord(first), quoteWord(later))
		r := a.gocyradm(t, script, "-f", "-")
		if r.status != 1 {
			t.Errorf("status = %d, want 1; stderr:\n%s", r.status, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "stdin:2: createmailbox: ") {
			t.Errorf("stderr = %q, want the error attributed to stdin:2", r.stderr)
		}
		if !mailboxExists(t, c, later) {
			t.Errorf("the line after the failure did not run")
		}

		first, later = a.unique("first-e"), a.unique("later-e")
		script = fmt.Sprintf("cm %s\ncm %s\ncm %s\n", quoteWord(first), quoteWord(first), quoteWord(later))
		r = a.gocyradm(t, script, "-e", "--trace")
		if r.status != 1 || !strings.Contains(r.stderr, "stopping at the first error") {
			t.Errorf("with -e: status = %d, want 1 and a note; stderr:\n%s", r.status, r.stderr)
		}
		if strings.Count(r.stderr, "C: ") == 0 || strings.Contains(r.stderr, quoteWire(later)) {
			t.Errorf("with -e, a command after the failure reached the server:\n%s", r.stderr)
		}
		if mailboxExists(t, c, later) {
			t.Errorf("with -e, the line after the failure ran")
		}
	})
}

func TestUnknownWordRunsNothing(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		name := a.unique("never")
		r := a.gocyradm(t, fmt.Sprintf("cm %s\nrm -rf /tmp/x\n", quoteWord(name)), "-f", "-")
		if r.status != 1 || !strings.Contains(r.stderr, "stdin:2: unknown command: rm") {
			t.Errorf("status %d, stderr %q; want 1 and unknown command: rm", r.status, r.stderr)
		}
		if mailboxExists(t, c, name) {
			t.Errorf("a script with an unknown word ran its first line")
		}
	})
}

// TestNoSmugglingThroughVariables: CR and LF that reach an argument through $VAR are
// refused; no second command reaches the server.
func TestNoSmugglingThroughVariables(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		victim := a.unique("victim")
		mustRun(t, a, "cm "+quoteWord(victim))
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
		if !mailboxExists(t, c, victim) {
			t.Errorf("%q was deleted", victim)
		}
	})
}

func TestConnectionRefusedExits3(t *testing.T) {
	addr := closedAddr(t)
	var out, errOut bytes.Buffer
	status := run([]string{"-u", "x", "-c", "lm", addr}, ioFor(&out, &errOut))
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
