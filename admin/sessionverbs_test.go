package admin

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// received returns what a fake server received on all its connections, in order:
// "(connected)" where each connection began, then its commands without their tags.
func received(f *imaptest.Server) []string {
	var got []string
	for _, line := range f.Transcript() {
		if line != imaptest.Connected {
			_, line, _ = strings.Cut(line, " ")
		}
		got = append(got, line)
	}
	return got
}

// loginSession returns a session connected to a fake server, whose Config logs in with
// LOGIN as admin, without TLS. The fake's OK to LOGIN announces no capabilities, so the
// client asks for them with CAPABILITY after each login.
func loginSession(t *testing.T) (*Session, *imaptest.Server, *strings.Builder, *strings.Builder) {
	t.Helper()
	s, f, out, errOut := fakeSession(t, dovecotGreeting, imaptest.OK)
	s.Config = Config{
		Server: "first.example", User: "admin", Mechanism: "login", TLS: TLSOff, Timeout: 5 * time.Second,
		Password: func() (string, error) { return "secret", nil },
	}
	return s, f, out, errOut
}

func runScript(s *Session, script string) int {
	return s.RunScript(context.Background(), strings.NewReader(script), "-c")
}

func equalLists(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestServerWithoutArgument(t *testing.T) {
	s, _, errOut := testSession()
	if status := runScript(s, "server"); status != 1 || errOut.String() != "-c:1: server: no connection to server (connect with: server HOST)\n" {
		t.Errorf("unconnected: status %d, stderr %q", status, errOut.String())
	}
	s2, _, out, errOut2 := loginSession(t)
	if status := runScript(s2, "servername; connect"); status != 0 || out.String() != "first.example\nfirst.example\n" || errOut2.String() != "" {
		t.Errorf("connected: status %d, stdout %q, stderr %q", status, out.String(), errOut2.String())
	}
}

// TestServerLogsOutThenConnects: the old connection gets LOGOUT (cyradm never sends it),
// the new one logs in with the session's settings.
func TestServerLogsOutThenConnects(t *testing.T) {
	second := imaptest.Listen(t, dovecotGreeting, imaptest.OK)
	addr := second.Addr()
	s, first, out, errOut := loginSession(t)
	if status := runScript(s, "server "+addr+"; whoami"); status != 0 || errOut.String() != "" {
		t.Fatalf("status %d, stderr %q", status, errOut.String())
	}
	if want := "server: " + addr + "\nuser: admin\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if got := first.Commands(); !equalLists(got, []string{"LOGOUT"}) {
		t.Errorf("old connection got %q, want LOGOUT", got)
	}
	if got := received(second); !equalLists(got, []string{"(connected)", "LOGIN admin secret", "CAPABILITY"}) {
		t.Errorf("new connection got %q", got)
	}
}

// TestNoAuthenticateThenAuthenticate: server --noauthenticate connects without logging
// in; authenticate then logs in on that same connection.
func TestNoAuthenticateThenAuthenticate(t *testing.T) {
	f := imaptest.Listen(t, dovecotGreeting, imaptest.OK)
	addr := f.Addr()
	s, _, out, errOut := loginSession(t)
	if status := runScript(s, "server -noauth "+addr+"; whoami; login bob; whoami; auth -mech login alice; whoami"); status != 0 || errOut.String() != "" {
		t.Fatalf("status %d, stderr %q", status, errOut.String())
	}
	want := "server: " + addr + "\nuser: (not logged in)\n" +
		"server: " + addr + "\nuser: bob\n" +
		"server: " + addr + "\nuser: alice\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	wantSent := []string{"(connected)", "LOGIN bob secret", "CAPABILITY", "LOGOUT", "(connected)", "LOGIN alice secret", "CAPABILITY"}
	if got := received(f); !equalLists(got, wantSent) {
		t.Errorf("sent %q, want %q", got, wantSent)
	}
}

func TestServerConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, _, _, errOut := loginSession(t)
	status := runScript(s, "server "+addr+"\nlm\nwhoami\n")
	want := "-c:1: server: cannot connect: dial tcp " + addr + ": connect: connection refused\n" +
		"-c:2: listmailbox: no connection to server (connect with: server HOST)\n" +
		"-c:3: whoami: no connection to server (connect with: server HOST)\n"
	if status != 1 || errOut.String() != want {
		t.Errorf("status %d, stderr:\n%s\nwant:\n%s", status, errOut.String(), want)
	}
	if s.Config.Server != addr {
		t.Errorf("Config.Server = %q, want the server asked for", s.Config.Server)
	}
}

func TestServerRefusesABadAddressBeforeLoggingOut(t *testing.T) {
	s, f, _, errOut := loginSession(t)
	if status := runScript(s, "server imap://"); status != 1 || !strings.Contains(errOut.String(), `invalid server "imap://"`) {
		t.Errorf("status %d, stderr %q", status, errOut.String())
	}
	if got := f.Commands(); len(got) != 0 || s.Client == nil {
		t.Errorf("the connection was dropped (sent %q)", got)
	}
}

func TestDisconnect(t *testing.T) {
	s, f, _, errOut := loginSession(t)
	status := runScript(s, "disconnect\nlm\ndisc\n")
	if want := "-c:2: listmailbox: no connection to server (connect with: server HOST)\n"; status != 1 || errOut.String() != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", status, errOut.String(), want)
	}
	if got := f.Commands(); !equalLists(got, []string{"LOGOUT"}) {
		t.Errorf("sent %q, want LOGOUT", got)
	}
}

// TestAuthenticateOnNewConnection: a logged-in connection cannot log in again, so
// authenticate logs out and logs in on a new connection to the same server.
func TestAuthenticateOnNewConnection(t *testing.T) {
	f := imaptest.Listen(t, dovecotGreeting, imaptest.OK)
	addr := f.Addr()
	s, _, out, errOut := loginSession(t)
	s.Config.Server = addr
	if status := runScript(s, "authenticate bob; whoami; auth; whoami"); status != 0 || errOut.String() != "" {
		t.Fatalf("status %d, stderr %q", status, errOut.String())
	}
	if want := "server: " + addr + "\nuser: bob\nserver: " + addr + "\nuser: bob\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	want := []string{"(connected)", "LOGIN bob secret", "CAPABILITY", "LOGOUT", "(connected)", "LOGIN bob secret", "CAPABILITY"}
	if got := received(f); !equalLists(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}

func TestAuthenticateRefusals(t *testing.T) {
	tests := map[string]string{
		"auth -minssf 56 bob":      "-c:1: authenticate: --minssf is not supported: gocyradm negotiates no SASL security layer: TLS protects the connection\n",
		"auth -maxssf 0":           "-c:1: authenticate: --maxssf is not supported: gocyradm negotiates no SASL security layer: TLS protects the connection\n",
		"auth -service imap":       "-c:1: authenticate: --service is not supported: the SASL service is always imap\n",
		"auth -notls":              "-c:1: authenticate: --notls is not supported: authenticate keeps the session's TLS settings: start gocyradm with --notls\n",
		"auth -cafile ca.pem":      "-c:1: authenticate: --cafile is not supported: authenticate keeps the session's TLS settings: start gocyradm with --cafile\n",
		"auth -capath /etc/ssl":    "-c:1: authenticate: --capath is not supported: authenticate keeps the session's TLS settings: start gocyradm with --capath\n",
		"auth -cadir /etc/ssl":     "-c:1: authenticate: --cadir is not supported: authenticate keeps the session's TLS settings: start gocyradm with --capath\n",
		"auth -tlskey key.pem":     "-c:1: authenticate: --tlskey is not supported: authenticate keeps the session's TLS settings: start gocyradm with --tlskey\n",
		"auth -mech GSSAPI":        "-c:1: authenticate: unsupported mechanism GSSAPI: use one of SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, EXTERNAL, or login for the IMAP LOGIN command\n",
		"auth -mech 'PLAIN LOGIN'": "-c:1: authenticate: give one mechanism, not a list (PLAIN LOGIN): one of SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, EXTERNAL, or login\n",
		"auth ''":                  "-c:1: authenticate: user name is empty\n",
		"auth -ca x":               "-c:1: authenticate: ambiguous option -ca: could be --cafile or --capath or --cadir\n",
	}
	for script, want := range tests {
		s, f, _, errOut := loginSession(t)
		status := runScript(s, script)
		if status != 1 || !strings.HasPrefix(errOut.String(), want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", script, status, errOut.String(), want)
		}
		if got := f.Commands(); len(got) != 0 || s.Client == nil {
			t.Errorf("%s: the connection was touched (sent %q)", script, got)
		}
	}
	s, _, errOut := testSession()
	if status := runScript(s, "auth bob"); status != 1 || errOut.String() != "-c:1: authenticate: no connection to server (connect with: server HOST)\n" {
		t.Errorf("unconnected: status %d, stderr %q", status, errOut.String())
	}
}

func TestAuthConfig(t *testing.T) {
	base := Config{Server: "h", User: "admin", Authz: "carol", Mechanism: "PLAIN"}
	cfg, err := authConfig(base, &Args{Opts: map[string]string{"mechanisms": "login"}, Pos: []string{"bob"}})
	if err != nil || cfg.User != "bob" || cfg.Mechanism != "login" || cfg.Authz != "carol" || cfg.Server != "h" {
		t.Errorf("authConfig = %+v, %v", cfg, err)
	}
	cfg, err = authConfig(base, &Args{Opts: map[string]string{}})
	if err != nil || cfg.User != "admin" || cfg.Mechanism != "PLAIN" {
		t.Errorf("authConfig without arguments = %+v, %v", cfg, err)
	}
}

func TestHasPort(t *testing.T) {
	for server, want := range map[string]bool{
		"imap.example.org": false, "imap.example.org:143": true, "[::1]:993": true, "[::1]": false,
		"imaps://imap.example.org": false, "imap://imap.example.org:1143": true, "::1": false,
	} {
		if got := hasPort(server); got != want {
			t.Errorf("hasPort(%q) = %v, want %v", server, got, want)
		}
	}
}

func TestConnectedResult(t *testing.T) {
	res := connected{identity{Server: "h:143", User: "bob", Authenticated: true}}
	checkRendered(t, "server", []string{"h:143"}, res, "",
		`{"verb":"server","args":["h:143"],"ok":true,"server":"h:143","user":"bob","authz":"","authenticated":true}`+"\n")
	checkRendered(t, "server", nil, serverName{Server: "h:143"}, "h:143\n",
		`{"verb":"server","args":[],"ok":true,"server":"h:143"}`+"\n")
	var b bytes.Buffer
	if err := res.Table(&b, 80); err != nil || b.Len() != 0 {
		t.Errorf("table = %q, %v; want nothing", b.String(), err)
	}
}

func TestChdir(t *testing.T) {
	t.Chdir(t.TempDir()) // restores the working directory when the test ends
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	s, out, errOut := testSession()
	s.Format = FormatJSON
	status := runScript(s, "cd "+Quote(dir)+"\n!pwd\nchdir\n!pwd\ncd /nonexistent/dir\n")
	want := `{"verb":"chdir","args":["` + dir + `"],"ok":true,"directory":"` + dir + `"}` + "\n" + dir + "\n" +
		`{"verb":"chdir","args":[],"ok":true,"directory":"` + home + `"}` + "\n" + home + "\n" +
		`{"verb":"chdir","args":["/nonexistent/dir"],"ok":false,"error":"/nonexistent/dir: no such file or directory"}` + "\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	if status != 1 || errOut.String() != "-c:5: chdir: /nonexistent/dir: no such file or directory\n" {
		t.Errorf("status %d, stderr %q", status, errOut.String())
	}
	if wd, err := os.Getwd(); err != nil || wd != home {
		t.Errorf("working directory %q, %v; want %q", wd, err, home)
	}
	if _, err := changeDir(context.Background(), s, &Args{Pos: []string{"/nonexistent"}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("changeDir error %v does not wrap os.ErrNotExist", err)
	}
}
