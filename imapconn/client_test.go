package imapconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
)

const greeting = "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake ready"

// TestPipelinedGetACL checks that two GETACLs in flight get their own data even when
// the server answers them out of order.
func TestPipelinedGetACL(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL user.a
		C: g2 GETACL user.b
		S: * ACL user.b bob lr
		S: * ACL user.a alice lrswipkxtecdan
		S: g2 OK Completed
		S: g1 OK Completed`, Options{})
	a := c.GetACL(ctx(t), "user.a")
	b := c.GetACL(ctx(t), "user.b")
	gotB, err := b.Wait(ctx(t))
	if err != nil || len(gotB) != 1 || gotB[0].ID != "bob" || gotB[0].Rights != "lr" {
		t.Errorf("GETACL user.b = %v, %v; want bob lr", gotB, err)
	}
	gotA, err := a.Wait(ctx(t))
	if err != nil || len(gotA) != 1 || gotA[0].ID != "alice" {
		t.Errorf("GETACL user.a = %v, %v; want alice", gotA, err)
	}
	f.wait()
}

// TestRoutingFallsBackToKeyword gives data that names the mailbox differently (a server
// canonicalizing INBOX) to the oldest command expecting the keyword.
func TestRoutingFallsBackToKeyword(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 MYRIGHTS inbox
		S: * MYRIGHTS INBOX lrswipkxtecda
		S: g1 OK done`, Options{})
	got, err := c.MyRights(ctx(t), "inbox").Wait(ctx(t))
	if err != nil || got != "lrswipkxtecda" {
		t.Errorf("MyRights = %q, %v", got, err)
	}
	f.wait()
}

func TestGetQuotaRootRoutesQuotasOfItsRoots(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETQUOTAROOT user.a.sub
		C: g2 GETQUOTA user.b
		S: * QUOTAROOT user.a.sub user.a
		S: * QUOTA user.a (STORAGE 5 100 MESSAGE 1 10)
		S: g1 OK Completed
		S: * QUOTA user.b (STORAGE 7 200)
		S: g2 OK Completed`, Options{})
	qr := c.GetQuotaRoot(ctx(t), "user.a.sub")
	q := c.GetQuota(ctx(t), "user.b")
	roots, err := qr.Wait(ctx(t))
	if err != nil || len(roots.Quotas) != 1 || roots.Quotas[0].Name != "user.a" || len(roots.Quotas[0].Resources) != 2 {
		t.Errorf("GetQuotaRoot = %+v, %v", roots, err)
	}
	b, err := q.Wait(ctx(t))
	if err != nil || b.Name != "user.b" || len(b.Resources) != 1 || b.Resources[0].Limit != 200 {
		t.Errorf("GetQuota = %+v, %v", b, err)
	}
	f.wait()
}

// TestSynchronizingLiteral checks that a value with a line break goes as a literal sent
// only after the continuation request.
func TestSynchronizingLiteral(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 SETMETADATA "" (/shared/motd {12}
		S: + go ahead
		C: line1
		C: line2)
		S: g1 OK Completed`, Options{})
	v := "line1\r\nline2"
	if _, err := c.SetMetadata(ctx(t), "", []Entry{{Name: "/shared/motd", Value: &v}}).Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

func TestNonSynchronizingLiteral(t *testing.T) {
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready
		C: g1 SETMETADATA INBOX (/private/comment {4+}
		C: a
		C: b)
		S: g1 OK Completed`, Options{})
	v := "a\r\nb"
	if _, err := c.SetMetadata(ctx(t), "INBOX", []Entry{{Name: "/private/comment", Value: &v}}).Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

// TestLiteralRefused: the server answers NO instead of "+"; the literal is not sent and
// the connection stays usable.
func TestLiteralRefused(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 SETMETADATA "" (/shared/motd {3}
		S: g1 NO [TOOBIG] Too big
		C: g2 CAPABILITY
		S: * CAPABILITY IMAP4rev1
		S: g2 OK done`, Options{})
	v := "a\nb"
	_, err := c.SetMetadata(ctx(t), "", []Entry{{Name: "/shared/motd", Value: &v}}).Wait(ctx(t))
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Code != "TOOBIG" || ierr.Text != "Too big" {
		t.Fatalf("SetMetadata = %v, want NO [TOOBIG] Too big", err)
	}
	if _, err := c.Capability(ctx(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

func TestServerErrorCarriesItsWords(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 CREATE user.x
		S: g1 NO Mailbox already exists`, Options{})
	_, err := c.Create(ctx(t), "user.x", CreateOptions{}).Wait(ctx(t))
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Status != "NO" || ierr.Command != "CREATE" || err.Error() != "Mailbox already exists" {
		t.Fatalf("err = %#v, want NO Mailbox already exists from CREATE", err)
	}
	f.wait()
}

// TestDisconnectFailsAllPending checks that a dropped connection fails every pending
// command with one error, and later commands too.
func TestDisconnectFailsAllPending(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL a
		C: g2 GETACL b
		S: * ACL a x l
		close`, Options{})
	a, b := c.GetACL(ctx(t), "a"), c.GetACL(ctx(t), "b")
	_, errA := a.Wait(ctx(t))
	_, errB := b.Wait(ctx(t))
	for _, err := range []error{errA, errB} {
		if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "server closed the connection") {
			t.Errorf("err = %v, want connection lost: server closed the connection", err)
		}
	}
	if _, err := c.Capability(ctx(t)); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("after the loss, Capability = %v, want ErrConnectionLost", err)
	}
	f.wait()
}

func TestByeFailsPendingWithItsText(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 DELETE x
		S: * BYE Fatal error: server shutting down
		close`, Options{})
	_, err := c.Delete(ctx(t), "x").Wait(ctx(t))
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "Fatal error: server shutting down") {
		t.Errorf("err = %v, want connection lost with the BYE text", err)
	}
	f.wait()
}

func TestByeGreeting(t *testing.T) {
	_, err := NewClient(ctx(t), pipeWith(t, "* BYE too many connections\r\n"), "fake", Options{})
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Status != "BYE" || ierr.Text != "too many connections" {
		t.Fatalf("NewClient = %v, want BYE too many connections", err)
	}
}

// TestUnknownResponsesAreKept: unknown and malformed untagged data neither fails the
// command nor ends the connection.
func TestUnknownResponsesAreKept(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 CREATE x
		S: * XWEIRD (((unbalanced
		S: * 3 EXISTS
		S: * OK [ALERT] maintenance at noon
		S: g1 OK Completed`, Options{})
	cmd, err := c.Start(ctx(t), "CREATE", nil, AString("x"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := cmd.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 1 || res.Notes[0].Code != "ALERT" {
		t.Errorf("notes = %v, want the ALERT", res.Notes)
	}
	kept := c.Unsolicited()
	if len(kept) != 2 || kept[0].Keyword != "XWEIRD" || kept[0].Err == nil || kept[1].Keyword != "EXISTS" {
		t.Errorf("unsolicited = %v, want XWEIRD (with its error) and EXISTS", kept)
	}
	f.wait()
}

func TestHugeLiteralIsRefusedWithoutAllocating(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		S: * ACL x {99999999999}`, Options{})
	_, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("err = %v, want the literal limit", err)
	}
	f.wait()
}

func TestTooLongLineIsRefused(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x
		S: * ACL x `+strings.Repeat("a", 5000), Options{MaxLine: 4096})
	_, err := c.GetACL(ctx(t), "x").Wait(ctx(t))
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "a line longer than 4096 bytes") {
		t.Errorf("err = %v, want the line limit", err)
	}
	f.wait()
}

// TestArgumentsCannotSmuggleCommands checks CR, LF and NUL in every kind of argument.
func TestArgumentsCannotSmuggleCommands(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 CAPABILITY
		S: g1 OK done`, Options{})
	bad := "x\r\ng9 DELETE user.victim"
	if _, err := c.Create(ctx(t), bad, CreateOptions{}).Wait(ctx(t)); err == nil {
		t.Error("CREATE with CRLF in the name was sent")
	}
	if _, err := c.Start(ctx(t), "X", nil, Atom(bad)); err == nil {
		t.Error("an atom with CRLF was sent")
	}
	if _, err := c.Start(ctx(t), "X", nil, AString("a\x00b")); err == nil {
		t.Error("a string with NUL was sent")
	}
	if _, err := c.SetACL(ctx(t), "x", "bob\nx", "lr").Wait(ctx(t)); err == nil {
		t.Error("an identifier with LF was sent")
	}
	// The refused commands sent nothing and took no tag.
	if _, err := c.Capability(ctx(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

func TestTraceRedactsLogin(t *testing.T) {
	var trace bytes.Buffer
	c, f := startFake(t, greeting+`
		C: g1 LOGIN admin "pass word"
		S: g1 OK [CAPABILITY IMAP4rev1] welcome`, Options{Trace: &trace})
	if err := c.Login(ctx(t), "admin", "pass word"); err != nil {
		t.Fatal(err)
	}
	f.wait()
	want := "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake ready\nC: g1 LOGIN <redacted> <redacted>\nS: g1 OK [CAPABILITY IMAP4rev1] welcome\n"
	if trace.String() != want {
		t.Errorf("trace:\n%s\nwant:\n%s", trace.String(), want)
	}
}

func TestAuthenticatePlainWithInitialResponse(t *testing.T) {
	var trace bytes.Buffer
	c, f := startFake(t, greeting+`
		C: g1 AUTHENTICATE PLAIN `+b64("bob\x00admin\x00secret")+`
		S: g1 OK [CAPABILITY IMAP4rev1 ACL] done`, Options{Trace: &trace})
	if err := c.Authenticate(ctx(t), sasl.NewPlainClient("bob", "admin", "secret")); err != nil {
		t.Fatal(err)
	}
	f.wait()
	if strings.Contains(trace.String(), b64("bob\x00admin\x00secret")) || !strings.Contains(trace.String(), "AUTHENTICATE PLAIN <redacted>") {
		t.Errorf("trace shows the SASL data:\n%s", trace.String())
	}
	if !c.Has("ACL") {
		t.Error("capabilities not refreshed from the completion")
	}
}

func TestAuthenticateWithoutSASLIR(t *testing.T) {
	var trace bytes.Buffer
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 AUTH=LOGIN] ready
		C: g1 AUTHENTICATE LOGIN
		S: + 
		C: `+b64("admin")+`
		S: + `+b64("Password:")+`
		C: `+b64("secret")+`
		S: g1 OK done
		C: g2 CAPABILITY
		S: * CAPABILITY IMAP4rev1 ACL
		S: g2 OK done`, Options{Trace: &trace})
	if err := c.Authenticate(ctx(t), sasl.NewLoginClient("admin", "secret")); err != nil {
		t.Fatal(err)
	}
	f.wait()
	if strings.Contains(trace.String(), b64("secret")) || strings.Contains(trace.String(), b64("Password:")) {
		t.Errorf("trace shows the SASL exchange:\n%s", trace.String())
	}
}

// TestAuthenticateCancelsOnClientError: a challenge the client cannot decode is answered
// with "*" and the client's error is returned.
func TestAuthenticateCancelsOnClientError(t *testing.T) {
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1] ready
		C: g1 AUTHENTICATE LOGIN
		S: + 
		C: `+b64("admin")+`
		S: + !!!notbase64
		C: *
		S: g1 BAD authentication cancelled`, Options{})
	err := c.Authenticate(ctx(t), sasl.NewLoginClient("admin", "secret"))
	if err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Fatalf("err = %v, want the base64 error", err)
	}
	f.wait()
}

func TestWrongPasswordIsAnError(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 LOGIN admin wrong
		S: g1 NO [AUTHENTICATIONFAILED] Authentication failed`, Options{})
	err := c.Login(ctx(t), "admin", "wrong")
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Code != "AUTHENTICATIONFAILED" {
		t.Fatalf("err = %v", err)
	}
	f.wait()
}

// TestSTARTTLSRefusesInjectedData: bytes after the STARTTLS answer end the connection.
func TestSTARTTLSRefusesInjectedData(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 STARTTLS
		S: g1 OK Begin TLS negotiation now
		S: * CAPABILITY IMAP4rev1 AUTH=PLAIN`, Options{})
	err := c.StartTLS(ctx(t), nil)
	if err == nil || !strings.Contains(fmt.Sprint(err, c.Err()), "sent data after its answer to STARTTLS") {
		t.Fatalf("StartTLS = %v (connection: %v), want the injection refused", err, c.Err())
	}
	f.wait()
}

func TestWaitHonoursContext(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 GETACL x`, Options{})
	p := c.GetACL(ctx(t), "x")
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the deadline", err)
	}
	f.wait()
}

func TestLogoutClosesCleanly(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 LOGOUT
		S: * BYE LOGOUT received
		S: g1 OK Completed
		close`, Options{})
	if err := c.Logout(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("after Logout, Err = %v, want ErrClosed", err)
	}
	f.wait()
}

// TestDryRun: commands that change the server are shown, not sent; reads are sent.
func TestDryRun(t *testing.T) {
	var shown bytes.Buffer
	c, f := startFake(t, greeting+`
		C: g1 GETACL user.a
		S: * ACL user.a bob lr
		S: g1 OK done`, Options{})
	c.SetDryRun(&shown)
	if _, err := c.SetACL(ctx(t), "user.a b", "bob", "lrs").Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetACL(ctx(t), "user.a").Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx(t), "user.a").Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if want := "SETACL \"user.a b\" bob lrs\nDELETE user.a\n"; shown.String() != want {
		t.Errorf("shown %q, want %q", shown.String(), want)
	}
	f.wait()
}

func TestCreateSpecialUse(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 CREATE user.a.Sent (USE (\Sent \Archive))
		S: g1 OK done`, Options{})
	if _, err := c.Create(ctx(t), "user.a.Sent", CreateOptions{SpecialUse: []string{`\Sent`, `\Archive`}}).Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx(t), "user.a.X", CreateOptions{SpecialUse: []string{`\Se nt`}}).Wait(ctx(t)); err == nil {
		t.Error("a flag with a space was sent")
	}
	f.wait()
}

// TestListEachHandsOverWithoutKeeping: each mailbox reaches the callback as it arrives;
// a malformed one is not handed over and becomes Wait's error.
func TestListEachHandsOverWithoutKeeping(t *testing.T) {
	c, f := startFake(t, greeting+`
		C: g1 LIST "" *
		S: * LIST (\HasNoChildren) "." user.a
		S: * LIST "." user.broken
		S: * LIST () "." "user.b c"
		S: g1 OK done`, Options{})
	var got []string
	p := c.ListEach(ctx(t), "", "*", ListOptions{}, func(it ListItem) { got = append(got, it.Name) })
	_, err := p.Wait(ctx(t))
	if strings.Join(got, "|") != "user.a|user.b c" {
		t.Errorf("handed over %q", got)
	}
	if err == nil || !strings.Contains(err.Error(), "in mailbox-list") {
		t.Errorf("err = %v, want the malformed mailbox", err)
	}
	if cmd := p.Command(); len(cmd.data) != 0 {
		t.Errorf("%d responses kept", len(cmd.data))
	}
	f.wait()
}
