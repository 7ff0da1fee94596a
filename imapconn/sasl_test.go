package imapconn

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
)

// scramVector is the example exchange of an RFC: user "user", password "pencil".
type scramVector struct {
	mech, nonce                         string
	clientFirst, serverFirst            string
	clientFinal, serverFinal, badServer string
}

var (
	// rfc5802 is RFC 5802 section 5.
	rfc5802 = scramVector{
		mech:        SCRAMSHA1,
		nonce:       "fyko+d2lbbFgONRv9qkxdawL",
		clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		badServer:   "v=AAF9pqV8S7suAoZWja4dJRkFsKQ=",
	}
	// rfc7677 is RFC 7677 section 3.
	rfc7677 = scramVector{
		mech:        SCRAMSHA256,
		nonce:       "rOprNGfwEbeRWgbNEkqO",
		clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		badServer:   "v=AAriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	}
)

func (v scramVector) client(t *testing.T, authz string) sasl.Client {
	t.Helper()
	sc, err := newSCRAMClient(v.mech, "user", "pencil", authz, func() string { return v.nonce })
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestSCRAMVectors runs each RFC's exchange through the adapter alone.
func TestSCRAMVectors(t *testing.T) {
	for _, v := range []scramVector{rfc5802, rfc7677} {
		sc := v.client(t, "")
		mech, ir, err := sc.Start()
		if err != nil || mech != v.mech || string(ir) != v.clientFirst {
			t.Fatalf("%s: Start = %s %q %v, want %q", v.mech, mech, ir, err, v.clientFirst)
		}
		final, err := sc.Next([]byte(v.serverFirst))
		if err != nil || string(final) != v.clientFinal {
			t.Fatalf("%s: client-final = %q %v, want %q", v.mech, final, err, v.clientFinal)
		}
		empty, err := sc.Next([]byte(v.serverFinal))
		if err != nil || len(empty) != 0 {
			t.Fatalf("%s: answer to the server-final = %q %v, want empty", v.mech, empty, err)
		}
		if err := sc.(completer).Complete(); err != nil {
			t.Errorf("%s: Complete after a valid exchange: %v", v.mech, err)
		}
		if _, err := sc.Next([]byte("v=x")); !errors.Is(err, sasl.ErrUnexpectedServerChallenge) {
			t.Errorf("%s: a fourth message = %v, want ErrUnexpectedServerChallenge", v.mech, err)
		}
	}
}

// TestAuthenticateSCRAM plays each RFC's exchange over IMAP: the client-first message
// goes inline (SASL-IR), and the server-final message is answered with an empty line,
// which is what Cyrus expects, not "=".
func TestAuthenticateSCRAM(t *testing.T) {
	for _, v := range []scramVector{rfc5802, rfc7677} {
		var trace bytes.Buffer
		c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=`+v.mech+`] ready
			C: g1 AUTHENTICATE `+v.mech+` `+b64(v.clientFirst)+`
			S: + `+b64(v.serverFirst)+`
			C: `+b64(v.clientFinal)+`
			S: + `+b64(v.serverFinal)+`
			C: 
			S: g1 OK [CAPABILITY IMAP4rev1 ACL] Success`, Options{Trace: &trace})
		if err := c.Authenticate(ctx(t), v.client(t, "")); err != nil {
			t.Fatalf("%s: %v", v.mech, err)
		}
		f.wait()
		want := "C: g1 AUTHENTICATE " + v.mech + " <redacted>\nS: + <redacted>\nC: <redacted>\nS: + <redacted>\nC: <redacted>\n"
		if !strings.Contains(trace.String(), want) {
			t.Errorf("%s: trace:\n%s\nwant it to hold:\n%s", v.mech, trace.String(), want)
		}
	}
}

// TestAuthenticateSCRAMWithoutSASLIR sends the client-first message after an empty
// challenge, and acts as another user (the authzid "a=bob").
func TestAuthenticateSCRAMWithoutSASLIR(t *testing.T) {
	v := rfc7677
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 AUTH=SCRAM-SHA-256] ready
		C: g1 AUTHENTICATE SCRAM-SHA-256
		S: + 
		C: `+b64("n,a=bob,n=user,r="+v.nonce)+`
		S: g1 NO [AUTHORIZATIONFAILED] not allowed`, Options{})
	err := c.Authenticate(ctx(t), v.client(t, "bob"))
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Code != "AUTHORIZATIONFAILED" {
		t.Fatalf("err = %v, want the server's NO", err)
	}
	f.wait()
}

// TestAuthenticateSCRAMRefusesAForgedServer: a wrong server signature cancels the
// exchange with "*", and a success without any signature is refused and ends the
// connection, as the server has not proved that it knows the password.
func TestAuthenticateSCRAMRefusesAForgedServer(t *testing.T) {
	v := rfc7677
	start := `S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] ready
		C: g1 AUTHENTICATE SCRAM-SHA-256 ` + b64(v.clientFirst) + `
		S: + ` + b64(v.serverFirst) + `
		C: ` + b64(v.clientFinal) + "\n"
	c, f := startFake(t, start+`S: + `+b64(v.badServer)+`
		C: *
		S: g1 BAD cancelled`, Options{})
	err := c.Authenticate(ctx(t), v.client(t, ""))
	if want := "AUTHENTICATE SCRAM-SHA-256: SCRAM-SHA-256: the server's message is not acceptable: server validation failed"; err == nil || err.Error() != want {
		t.Errorf("wrong signature: err = %v, want %q", err, want)
	}
	f.wait()

	c, f = startFake(t, start+`S: g1 OK welcome`, Options{})
	err = c.Authenticate(ctx(t), v.client(t, ""))
	if err == nil || !strings.Contains(err.Error(), "the server accepted the login without proving that it knows the password") {
		t.Errorf("no signature: err = %v, want the login refused", err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Errorf("no signature: the connection is still open (Err = %v)", c.Err())
	}
	f.wait()
}

func TestSCRAMRefusesWeakOrForeignServerFirst(t *testing.T) {
	for _, tc := range []struct{ serverFirst, want string }{
		{"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024", "server requested too few iterations (1024)"},
		{"r=someone-elses-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "server nonce did not extend client nonce"},
		{"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2147483647", "SCRAM-SHA-256: the server asks for 2147483647 iterations, more than the 1048576 gocyradm allows"},
		{"garbage", "SCRAM-SHA-256: the server's message is not acceptable: "},
	} {
		sc := rfc7677.client(t, "")
		if _, _, err := sc.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Next([]byte(tc.serverFirst)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.serverFirst, err, tc.want)
		}
	}
}

func TestNewSCRAMClientRefusesOtherMechanisms(t *testing.T) {
	if _, err := NewSCRAMClient("SCRAM-SHA-512", "u", "p", ""); err == nil {
		t.Error("SCRAM-SHA-512 accepted")
	}
}

// TestCRAMMD5 uses the example of RFC 2195 section 2, over IMAP without SASL-IR.
func TestCRAMMD5(t *testing.T) {
	challenge := "<1896.697170952@postoffice.reston.mci.net>"
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=CRAM-MD5] ready
		C: g1 AUTHENTICATE CRAM-MD5
		S: + `+b64(challenge)+`
		C: `+b64("tim b913a602c7eda7a495b4e6e7334d3890")+`
		S: g1 OK [CAPABILITY IMAP4rev1] done`, Options{})
	if err := c.Authenticate(ctx(t), NewCRAMMD5Client("tim", "tanstaaftanstaaf")); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

func TestCRAMMD5AnswersOneChallenge(t *testing.T) {
	sc := NewCRAMMD5Client("tim", "x")
	if _, err := sc.Next(nil); err == nil {
		t.Error("an empty challenge was answered")
	}
	if _, err := sc.Next([]byte("<1@x>")); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Next([]byte("<2@x>")); !errors.Is(err, sasl.ErrUnexpectedServerChallenge) {
		t.Errorf("second challenge: %v, want ErrUnexpectedServerChallenge", err)
	}
}

// TestExternalSendsAnEmptyInitialResponse: EXTERNAL with no authorization identity
// sends "=" inline, and an empty line without SASL-IR.
func TestExternalSendsAnEmptyInitialResponse(t *testing.T) {
	c, f := startFake(t, `S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=EXTERNAL] ready
		C: g1 AUTHENTICATE EXTERNAL =
		S: g1 OK [CAPABILITY IMAP4rev1] done`, Options{})
	if err := c.Authenticate(ctx(t), sasl.NewExternalClient("")); err != nil {
		t.Fatal(err)
	}
	f.wait()
	c, f = startFake(t, `S: * OK [CAPABILITY IMAP4rev1 AUTH=EXTERNAL] ready
		C: g1 AUTHENTICATE EXTERNAL
		S: + 
		C: 
		S: g1 OK [CAPABILITY IMAP4rev1] done`, Options{})
	if err := c.Authenticate(ctx(t), sasl.NewExternalClient("")); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

// FuzzSCRAMServerMessages feeds arbitrary server-first and server-final messages to the
// adapter (its own check of the iteration count, then the library's parsing): it must
// never panic, and never accept a server that did not prove itself.
func FuzzSCRAMServerMessages(f *testing.F) {
	f.Add(rfc7677.serverFirst, rfc7677.serverFinal)
	f.Add(rfc7677.serverFirst, "e=invalid-proof")
	f.Add("r=rOprNGfwEbeRWgbNEkqO,s=,i=99999999999", "v=")
	f.Add("r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=5000,m=1", "v=,e=x")
	f.Fuzz(func(t *testing.T, first, final string) {
		sc, err := newSCRAMClient(SCRAMSHA256, "user", "pencil", "", func() string { return rfc7677.nonce })
		if err != nil {
			t.Fatal(err)
		}
		sc.(*scramClient).maxIters = 8192 // keeps each run fast
		if _, _, err := sc.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Next([]byte(first)); err != nil {
			return
		}
		_, err = sc.Next([]byte(final))
		valid := sc.(completer).Complete() == nil
		if valid != (err == nil) {
			t.Fatalf("server-final %q: Next = %v but Complete valid = %v", final, err, valid)
		}
		if valid && first != rfc7677.serverFirst {
			t.Fatalf("accepted a server-first message that is not the RFC's: %q", first)
		}
	})
}
