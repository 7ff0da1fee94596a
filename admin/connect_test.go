package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// remoteConn is a connection that claims to reach remote, whatever it is connected to.
type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

// clientAt returns a client connected to a fake server that greets with greeting and
// seems to be at addr ("host:port").
func clientAt(t *testing.T, addr, greeting string) (*imapconn.Client, *imaptest.Server) {
	t.Helper()
	remote, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	clientEnd, f := imaptest.Pipe(t, greeting, imaptest.OK)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := imapconn.NewClient(ctx, remoteConn{clientEnd, remote}, "fake", imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, f
}

// passwordCounter returns a password source that counts how often it is asked.
func passwordCounter(n *int) func() (string, error) {
	return func() (string, error) {
		*n++
		return "s3cret", nil
	}
}

// TestPlaintextPolicy: a password, whatever the mechanism, goes over a connection
// without TLS only to a loopback address or with --allow-plaintext. When refused,
// the password is not even asked for and nothing reaches the server.
func TestPlaintextPolicy(t *testing.T) {
	const greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5] ready"
	for _, mech := range []string{"", "PLAIN", "LOGIN", "CRAM-MD5", "login"} {
		for _, tc := range []struct {
			addr  string
			allow bool
			sends bool
		}{
			{"192.0.2.7:143", false, false},
			{"[2001:db8::7]:143", false, false},
			{"192.0.2.7:143", true, true},
			{"127.0.0.1:143", false, true},
			{"127.8.9.10:143", false, true},
			{"[::1]:143", false, true},
		} {
			c, f := clientAt(t, tc.addr, greeting)
			asked := 0
			cfg := Config{User: "admin", Mechanism: mech, AllowPlaintext: tc.allow, Password: passwordCounter(&asked)}
			err := Login(context.Background(), c, cfg)
			sent := f.Commands()
			if tc.sends {
				if err != nil || asked != 1 || len(sent) == 0 {
					t.Errorf("-a %q to %s (allow %v): err %v, password asked %d times, sent %q; want a login", mech, tc.addr, tc.allow, err, asked, sent)
				}
				continue
			}
			host, _, _ := net.SplitHostPort(tc.addr)
			want := "authentication failed: refusing to send a password unencrypted to " + net.JoinHostPort(host, "143") +
				": use TLS (the server offers no STARTTLS, or --notls was given) or pass --allow-plaintext"
			var aerr *AuthError
			if !errors.As(err, &aerr) || err.Error() != want {
				t.Errorf("-a %q to %s: err = %v, want %q", mech, tc.addr, err, want)
			}
			if asked != 0 || len(sent) != 0 {
				t.Errorf("-a %q to %s: password asked %d times, sent %q; want neither", mech, tc.addr, asked, sent)
			}
		}
	}
}

// TestPlaintextAllowedSendsThePassword shows what --allow-plaintext lets through.
func TestPlaintextAllowedSendsThePassword(t *testing.T) {
	c, f := clientAt(t, "192.0.2.7:143", "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready")
	n := 0
	if err := Login(context.Background(), c, Config{User: "admin", AllowPlaintext: true, Password: passwordCounter(&n)}); err != nil {
		t.Fatal(err)
	}
	want := "AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00admin\x00s3cret"))
	if got := f.Commands(); len(got) < 1 || got[0] != want {
		t.Errorf("sent %q, want %q first", got, want)
	}
}

// TestExternalNeedsNoPassword: EXTERNAL proves the identity with the client certificate,
// so it asks for no password, and acts as the -z identity.
func TestExternalNeedsNoPassword(t *testing.T) {
	c, f := clientAt(t, "192.0.2.7:993", "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=EXTERNAL AUTH=PLAIN] ready")
	n := 0
	cfg := Config{User: "admin", Authz: "bob", TLSKey: "client.pem", Password: passwordCounter(&n)}
	if err := Login(context.Background(), c, cfg); err != nil {
		t.Fatal(err)
	}
	want := "AUTHENTICATE EXTERNAL " + base64.StdEncoding.EncodeToString([]byte("bob"))
	if got := f.Commands(); n != 0 || len(got) < 1 || got[0] != want {
		t.Errorf("password asked %d times, sent %q; want none and %q", n, got, want)
	}
}

// TestChooseMechanism: the strongest mechanism both sides offer, EXTERNAL first with a
// client certificate, and only mechanisms that carry -z when acting as another user.
func TestChooseMechanism(t *testing.T) {
	const cyrus = "AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5 AUTH=SCRAM-SHA-1 AUTH=SCRAM-SHA-256"
	tests := []struct {
		caps string
		cfg  Config
		want string // the mechanism, or the error
	}{
		{cyrus, Config{}, "SCRAM-SHA-256"},
		{"AUTH=PLAIN AUTH=SCRAM-SHA-1 AUTH=CRAM-MD5", Config{}, "SCRAM-SHA-1"},
		{"AUTH=LOGIN AUTH=PLAIN AUTH=CRAM-MD5", Config{}, "CRAM-MD5"},
		{"AUTH=LOGIN AUTH=PLAIN", Config{}, "PLAIN"},
		{"AUTH=LOGIN", Config{}, "LOGIN"},
		{"AUTH=GSSAPI", Config{}, "login"},
		{"AUTH=GSSAPI LOGINDISABLED", Config{}, "the server offers no mechanism gocyradm supports (it offers GSSAPI) and disables LOGIN"},
		{cyrus + " AUTH=EXTERNAL", Config{}, "SCRAM-SHA-256"},
		{cyrus + " AUTH=EXTERNAL", Config{TLSKey: "k.pem"}, "EXTERNAL"},
		{cyrus, Config{TLSKey: "k.pem"}, "SCRAM-SHA-256"},
		{cyrus, Config{Authz: "bob"}, "SCRAM-SHA-256"},
		{"AUTH=CRAM-MD5 AUTH=PLAIN", Config{Authz: "bob"}, "PLAIN"},
		{"AUTH=CRAM-MD5 AUTH=LOGIN", Config{Authz: "bob"}, "acting as bob needs SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN (or EXTERNAL with --tlskey), which the server does not offer (it offers CRAM-MD5, LOGIN)"},
		{cyrus, Config{Mechanism: "scram-sha-1"}, "SCRAM-SHA-1"},
		{cyrus, Config{Mechanism: "login"}, "login"},
		{cyrus, Config{Mechanism: "EXTERNAL"}, "EXTERNAL needs a client certificate: give --tlskey FILE"},
		{cyrus, Config{Mechanism: "EXTERNAL", TLSKey: "k.pem"}, "the server does not offer EXTERNAL: it took no identity from the client certificate of --tlskey (it offers PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256)"},
		{cyrus, Config{Mechanism: "CRAM-MD5", Authz: "bob"}, "CRAM-MD5 cannot act as bob: use SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN"},
		{cyrus, Config{Mechanism: "login", Authz: "bob"}, "the LOGIN command cannot act as bob: use -a PLAIN or a SCRAM mechanism"},
		{"AUTH=PLAIN", Config{Mechanism: "SCRAM-SHA-256"}, "the server does not offer SCRAM-SHA-256 (it offers PLAIN)"},
		{cyrus, Config{Mechanism: "GSSAPI"}, "unsupported mechanism GSSAPI: use one of SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, EXTERNAL, or login for the IMAP LOGIN command"},
	}
	for _, tt := range tests {
		c, _ := clientAt(t, "127.0.0.1:143", "* OK [CAPABILITY IMAP4rev1 "+tt.caps+"] ready")
		got, err := chooseMechanism(c, tt.cfg)
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s with %+v: got %q, want %q", tt.caps, tt.cfg, got, tt.want)
		}
	}
}

func TestValidateMechanismTakesEveryMechanism(t *testing.T) {
	for _, m := range []string{"SCRAM-SHA-256", "scram-sha-1", "CRAM-MD5", "PLAIN", "LOGIN", "EXTERNAL", "external", "login"} {
		if err := ValidateMechanism(m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if err := ValidateMechanism("SCRAM-SHA-256-PLUS"); err == nil || !strings.HasPrefix(err.Error(), "unsupported mechanism SCRAM-SHA-256-PLUS") {
		t.Errorf("SCRAM-SHA-256-PLUS: %v, want unsupported", err)
	}
}
