package imapconn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The tests in this file play hostile or broken servers. Each checks the exact error,
// that the client returns in time (a hang fails the test at the fake's deadline, a
// panic crashes it), and that nothing but the expected commands reached the server.

// nothingMore fails the test if the client sent anything after the script.
func nothingMore(t *testing.T, f *fake) {
	t.Helper()
	f.wait()
	_ = f.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) // net.Pipe takes deadlines
	buf := make([]byte, 512)
	if n, _ := f.conn.Read(buf); n > 0 {
		t.Errorf("the client sent %q after the script", buf[:n])
	}
}

// shortCtx returns a context that ends soon, for servers that stop answering.
func shortCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	t.Cleanup(cancel)
	return c
}

func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s: err = %v, want %q", what, err, want)
	}
}

func TestHostileHugeLiterals(t *testing.T) {
	for _, line := range []string{
		"* ACL x {99999999999}",
		"* ACL x ~{67108865}",
		"* ACL x {99999999999999999999999}",
		"* ACL x bob {67108860}",
	} {
		c, f := startFake(t, greeting+`
			C: g1 GETACL x
			S: `+line, Options{})
		_, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
		if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "exceeds the limit of 67108864 bytes for one response ("+line+")") {
			t.Errorf("%s: err = %v, want the limit", line, err)
		}
		nothingMore(t, f)
	}
}

// TestHostileLiteralNeverCompletes: the server announces 100 bytes and sends 5.
func TestHostileLiteralNeverCompletes(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		S: * ACL x {100}
		S: abc`, Options{})
	_, err := c.GetACL(ctx(t), "x").Wait(shortCtx(t))
	wantErr(t, "GetACL", err, "GETACL: waiting for the server: context deadline exceeded")
	nothingMore(t, f)
}

func TestHostileDropMidLiteral(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		S: * ACL x {10}
		S: abc
		close`, Options{})
	_, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
	wantErr(t, "GetACL", err, "connection lost: server closed the connection")
	_, err = c.Capability(ctx(t))
	wantErr(t, "a later command", err, "CAPABILITY: connection lost: server closed the connection")
	f.wait()
}

// TestHostileDeepNesting: lists nested past the limit fail the command they answer, not
// the connection, and a hundred thousand levels cost no more than a hundred.
func TestHostileDeepNesting(t *testing.T) {
	for _, depth := range []int{65, 100000} {
		line := "* LIST " + strings.Repeat("(", depth) + strings.Repeat(")", depth) + ` "." INBOX`
		c, f := startFake(t, greeting+`
			C: g1 LIST "" *
			S: `+line+`
			S: g1 OK done
			C: g2 CAPABILITY
			S: * CAPABILITY IMAP4rev1
			S: g2 OK done`, Options{})
		_, err := c.List(ctx(t), "", "*", ListOptions{}).Wait(ctx(t))
		wantErr(t, "List", err, "malformed server response: in list: lists nested more than 64 deep ("+line[:80]+"...)")
		if _, err := c.Capability(ctx(t)); err != nil {
			t.Errorf("depth %d: the connection did not survive: %v", depth, err)
		}
		nothingMore(t, f)
	}
}

// TestHostileNUL: NUL is refused in a quoted string and ends an atom; a NUL or an escape
// sequence in the server's words is shown escaped.
func TestHostileNUL(t *testing.T) {
	c, f := startFake(t, greeting+"\n"+
		"C: g1 LIST \"\" *\n"+
		"S: * LIST () \".\" \"a\x00b\"\n"+
		"S: g1 OK done\n"+
		"C: g2 GETACL x\n"+
		"S: * ACL x a\x00b lr\n"+
		"S: g2 OK done\n"+
		"C: g3 CREATE y\n"+
		"S: g3 NO bad\x00news\x1b[31m", Options{})
	_, err := c.List(ctx(t), "", "*", ListOptions{}).Wait(ctx(t))
	wantErr(t, "List", err, `malformed server response: in quoted: NUL inside a quoted string (* LIST () "." "a\x00b")`)
	_, err = c.GetACL(ctx(t), "x").Wait(ctx(t))
	wantErr(t, "GetACL", err, `malformed server response: in acl-data: expected mailbox followed by identifier and rights pairs (* ACL x a\x00b lr)`)
	_, err = c.Create(ctx(t), "y", CreateOptions{}).Wait(ctx(t))
	wantErr(t, "Create", err, `bad\x00news\x1b[31m`)
	nothingMore(t, f)
}

func TestHostileByeMidCommand(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		S: * ACL x bob lr
		S: * BYE going down`+"\x1b[2J"+`
		close`, Options{})
	_, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
	wantErr(t, "BYE then close", err, `connection lost: server closed the connection: going down\x1b[2J`)
	f.wait()

	c, f = startFake(t, greeting+`
		C: g1 GETACL x
		S: * BYE going down, but I stay`, Options{})
	_, err = c.GetACL(ctx(t), "x").Wait(shortCtx(t))
	wantErr(t, "BYE and silence", err, "GETACL: waiting for the server: context deadline exceeded")
	nothingMore(t, f)
}

// TestHostileSilentServer: no greeting, half a greeting, and no answer to a command
// each end at the context's deadline.
func TestHostileSilentServer(t *testing.T) {
	for _, data := range []string{"", "* OK [CAPABILITY IMAP4rev1] half a greet"} {
		_, err := NewClient(shortCtx(t), pipeWith(t, data), "fake", Options{})
		wantErr(t, "greeting "+data, err, "waiting for the server's greeting: context deadline exceeded")
	}
	c, f := startFake(t, greeting+`
		C: g1 DELETE x`, Options{})
	_, err := c.Delete(ctx(t), "x").Wait(shortCtx(t))
	wantErr(t, "Delete", err, "DELETE: waiting for the server: context deadline exceeded")
	nothingMore(t, f)
}

// TestHostileMailboxNames: a name that is not valid UTF-8, or not valid modified UTF-7,
// is shown as the server sent it, never decoded into something else.
func TestHostileMailboxNames(t *testing.T) {
	c, f := startFake(t, greeting+"\n"+
		"C: g1 LIST \"\" *\n"+
		"S: * LIST () \".\" \"user.\xff\xfe\"\n"+
		"S: * LIST () \".\" user.&Jjo\n"+
		"S: * LIST () \".\" user.&AGE-\n"+
		"S: * LIST () \".\" user.&2D0-\n"+
		"S: g1 OK done", Options{})
	items, err := c.List(ctx(t), "", "*", ListOptions{}).Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	want := []string{"user.\xff\xfe", "user.&Jjo", "user.&AGE-", "user.&2D0-"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("names = %q, want %q", names, want)
	}
	nothingMore(t, f)
}

// TestHostileTags: completions with tags nobody sent are kept aside; a line that has no
// tag at all, or a tagged line that is not a completion, ends the connection.
func TestHostileTags(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 CREATE x
		S: g9 OK not yours
		S: ??? NO nor this
		S: g1 OK done`, Options{})
	if _, err := c.Create(ctx(t), "x", CreateOptions{}).Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if kept := c.Unsolicited(); len(kept) != 2 || kept[0].Tag != "g9" || kept[1].Tag != "???" {
		t.Errorf("unsolicited = %v, want the two stray completions", kept)
	}
	nothingMore(t, f)
	for line, want := range map[string]string{
		"(garbage":   `connection lost: malformed server response: in tag: expected a tag, "*" or "+" ((garbage)`,
		"g1 FETCH x": "connection lost: malformed server response: in response-tagged: expected OK, NO or BAD, got FETCH (g1 FETCH x)",
		"\x1b[2J":    `connection lost: malformed server response: in tag: expected a tag, "*" or "+" (\x1b[2J)`,
	} {
		c, f := startFake(t, greeting+`
			C: g1 CREATE x
			S: `+line, Options{})
		_, err := c.Create(ctx(t), "x", CreateOptions{}).Wait(ctx(t))
		wantErr(t, line, err, want)
		nothingMore(t, f)
	}
}

// TestHostileUnaskedContinuation: a continuation request sent while no command waits for
// one is kept aside, and the next synchronizing literal still waits for its own.
func TestHostileUnaskedContinuation(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 NOOP
		S: + nobody asked
		S: g1 OK done
		C: g2 SETMETADATA "" (/shared/motd {12}
		S: g2 NO [TOOBIG] not that one`, Options{})
	if _, err := c.Execute(ctx(t), "NOOP", nil); err != nil {
		t.Fatal(err)
	}
	v := "line1\r\nline2"
	_, err := c.SetMetadata(ctx(t), "", []Entry{{Name: "/shared/motd", Value: &v}}).Wait(ctx(t))
	wantErr(t, "SetMetadata", err, "not that one")
	if kept := c.Unsolicited(); len(kept) != 1 || kept[0].Tag != "+" || kept[0].Text != "nobody asked" {
		t.Errorf("unsolicited = %v, want the unasked continuation", kept)
	}
	nothingMore(t, f)
}

// TestHostileFlood: untagged data instead of a greeting is refused at the first line;
// a flood of unclaimed data while a command runs keeps only the last hundred.
func TestHostileFlood(t *testing.T) {
	_, err := NewClient(ctx(t), pipeWith(t, strings.Repeat("* 1 EXISTS\r\n", 10000)), "fake", Options{})
	wantErr(t, "NewClient", err, "malformed server response: in greeting: expected * OK, * PREAUTH or * BYE (* 1 EXISTS)")

	flood := strings.Repeat("S: * 1 EXISTS\n", 10000)
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		`+flood+`S: * ACL x bob lr
		S: g1 OK done`, Options{})
	got, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
	if err != nil || len(got) != 1 || got[0].ID != "bob" {
		t.Errorf("GetACL = %v, %v; want bob", got, err)
	}
	if n := len(c.Unsolicited()); n != 100 {
		t.Errorf("%d unsolicited responses kept, want 100", n)
	}
	nothingMore(t, f)
}
