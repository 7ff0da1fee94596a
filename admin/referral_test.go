package admin

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/imaptest"
	"github.com/gocyradm/gocyradm/internal/testserver"
)

func TestParseReferral(t *testing.T) {
	tests := []struct {
		url     string
		want    referral
		wantErr bool
	}{
		{url: "imap://;AUTH=*@backend2.lab/user.bob", want: referral{addr: "backend2.lab", host: "backend2.lab", mailbox: "user.bob"}},
		{url: "imap://bob;AUTH=*@Backend2.lab:1143/user.bob", want: referral{user: "bob", addr: "backend2.lab:1143", host: "Backend2.lab", mailbox: "user.bob"}},
		{url: "imap://backend1.lab/user.carol%20x;UIDVALIDITY=7", want: referral{addr: "backend1.lab", host: "backend1.lab", mailbox: "user.carol x"}},
		{url: "http://backend1.lab/user.carol", wantErr: true},
		{url: "imap:///user.carol", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseReferral(tt.url)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseReferral(%q) = %+v, %v; want %+v (error: %v)", tt.url, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestBackendConfig: a backend is reached as the session's server, implicit TLS becoming
// required STARTTLS (a referral names plain IMAP), and the password is asked for once.
func TestBackendConfig(t *testing.T) {
	asked := 0
	var b backends
	for _, mode := range []TLSMode{TLSAuto, TLSImplicit, TLSRequired, TLSOff} {
		cfg := b.config(Config{Server: "imaps://frontend.lab", Port: 993, User: "admin", TLS: mode, Password: passwordCounter(&asked)}, "backend2.lab")
		want := mode
		if mode == TLSImplicit {
			want = TLSRequired
		}
		_, addr, implicit, err := cfg.Address()
		if cfg.TLS != want || addr != "backend2.lab:143" || implicit || err != nil || cfg.User != "admin" {
			t.Errorf("TLS mode %d: got mode %d, address %s (implicit %v, %v), user %s", mode, cfg.TLS, addr, implicit, err, cfg.User)
		}
		if _, err := cfg.Password(); err != nil {
			t.Fatal(err)
		}
	}
	if asked != 1 {
		t.Errorf("the password was asked for %d times, want once", asked)
	}
}

// referringFrontend answers SETACL and DELETEACL with a referral to url.
func referringFrontend(url string) func(string) []string {
	return func(cmd string) []string {
		if strings.HasPrefix(cmd, "SETACL") || strings.HasPrefix(cmd, "DELETEACL") {
			return []string{"TAG NO [REFERRAL " + url + "] Remote mailbox."}
		}
		return imaptest.OK(cmd)
	}
}

// TestReferralFollowed: the commands a frontend refers are run on the backend, over one
// connection logged in once with the session's identity, and logged out of at the end.
func TestReferralFollowed(t *testing.T) {
	backend := imaptest.Listen(t, "* OK [CAPABILITY IMAP4rev1 ACL] backend2.lab ready", imaptest.OK)
	s, frontend, out, errOut := fakeSession(t, murderGreeting, referringFrontend("imap://;AUTH=*@"+backend.Addr()+"/user.bob"))
	asked := 0
	s.Config = Config{User: "admin", Password: passwordCounter(&asked)}
	status := s.RunScript(context.Background(), strings.NewReader("sam user.bob alice lrs; dam user.bob carol\nsam user.bob dave lr"), "-c")
	if status != 0 || out.String() != "" || errOut.String() != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
	s.Close(context.Background())
	want := []string{"(connected)", "LOGIN admin s3cret", "CAPABILITY", "SETACL user.bob alice lrs", "DELETEACL user.bob carol", "SETACL user.bob dave lr", "LOGOUT"}
	if got := received(backend); !slices.Equal(got, want) || asked != 1 {
		t.Errorf("the backend got %q (password asked %d times)\nwant %q", got, asked, want)
	}
	if got := frontend.Commands(); len(sentWith(got, "SETACL")) != 2 || got[len(got)-1] != "LOGOUT" {
		t.Errorf("the frontend got %q", got)
	}
}

// TestReferralNotFollowed: a referral that cannot be followed says where the mailbox
// lives and why.
func TestReferralNotFollowed(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	tests := []struct {
		url      string
		password bool
		want     string
	}{
		{"imap://bob;AUTH=*@127.0.0.1:1/user.bob", true,
			"mailbox user.bob lives on 127.0.0.1: the referral asks to log in as bob, and this session is admin: connect to 127.0.0.1 as bob"},
		{"imap://;AUTH=*@" + refused + "/user.bob", false,
			"mailbox user.bob lives on 127.0.0.1: this session has no credentials to log in there with: connect to 127.0.0.1 directly"},
		{"imap://;AUTH=*@" + refused + "/user.bob", true, "mailbox user.bob lives on 127.0.0.1: cannot connect: "},
		{"http://x/user.bob", true, `Remote mailbox. (the referral "http://x/user.bob" is not an IMAP URL that gocyradm can follow)`},
	}
	for _, tt := range tests {
		s, _, _, errOut := fakeSession(t, murderGreeting, referringFrontend(tt.url))
		s.Config = Config{User: "admin"}
		if tt.password {
			s.Config.Password = passwordCounter(new(int))
		}
		status := s.RunScript(context.Background(), strings.NewReader("sam user.bob alice lrs"), "-c")
		if want := "-c:1: setaclmailbox: " + tt.want; status != 1 || !strings.HasPrefix(errOut.String(), want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q...", tt.url, status, errOut, want)
		}
	}
}

// TestReferralBackendLost: a backend connection lost during a followed command fails that
// command, not the session, which connects again for the next referral.
func TestReferralBackendLost(t *testing.T) {
	dropped := false
	backend := imaptest.Listen(t, "* OK [CAPABILITY IMAP4rev1 ACL] backend2.lab ready", func(cmd string) []string {
		if strings.HasPrefix(cmd, "SETACL ") && !dropped { // the first connection hangs up at its SETACL
			dropped = true
			return []string{imaptest.HangUp}
		}
		return imaptest.OK(cmd)
	})
	s, _, _, errOut := fakeSession(t, murderGreeting, referringFrontend("imap://;AUTH=*@"+backend.Addr()+"/user.bob"))
	s.Config = Config{User: "admin", Password: passwordCounter(new(int))}
	status := s.RunScript(context.Background(), strings.NewReader("sam user.bob alice lrs\nsam user.bob dave lr"), "-c")
	if status != 1 || !strings.HasPrefix(errOut.String(), "-c:1: setaclmailbox: 127.0.0.1: connection lost") || strings.Contains(errOut.String(), "-c:2:") {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
	want := []string{"(connected)", "LOGIN admin s3cret", "CAPABILITY", "SETACL user.bob alice lrs",
		"(connected)", "LOGIN admin s3cret", "CAPABILITY", "SETACL user.bob dave lr"}
	if got := received(backend); !slices.Equal(got, want) {
		t.Errorf("the backend got %q\nwant %q", got, want)
	}
	if err := s.Client.Err(); err != nil {
		t.Errorf("the session lost its own connection: %v", err)
	}
}

// TestMurderReferralsFollowed: on a frontend connection that has announced referrals
// (RLIST), CREATE, SETACL and DELETEACL come back as referrals to the backend; they are
// followed, over one connection per backend, logged out of at the end. GETACL, GETQUOTA
// and SETQUOTA are still proxied.
func TestMurderReferralsFollowed(t *testing.T) {
	m := testserver.Murder(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var trace strings.Builder
	cfg := Config{Server: m.Frontend, User: m.Admin, Timeout: 10 * time.Second, Trace: &syncWriter{w: &trace},
		Password: func() (string, error) { return m.AdminPassword, nil }}
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(ctx, "RLIST", nil, imapconn.String(""), imapconn.String("")); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	s := &Session{IO: IO{Out: &out, Err: &errOut}, Config: cfg, Timeout: 30 * time.Second}
	s.Attach(c)
	suffix := time.Now().UnixNano() % 1e9
	one, two := fmt.Sprintf("user.rone%d", suffix), fmt.Sprintf("user.rtwo%d", suffix)
	run := func(script string) {
		t.Helper()
		if status := s.RunScript(ctx, strings.NewReader(script), "-c"); status != 0 {
			t.Fatalf("%s: status %d, stderr:\n%s", script, status, errOut.String())
		}
	}
	run(fmt.Sprintf("cm --server %s %s; cm --server %s %s", m.Backend1Name, one, m.Backend2Name, two))
	// Made on the backends, the mailboxes reach the frontend through the mupdate master.
	waitVisible(t, ctx, c, one, two)
	// A followed command runs after the commands pipelined behind it on the frontend, and
	// changes made on a backend reach the frontend through the mupdate master (up to 5 s):
	// the script that reads comes after the one that writes, until it shows the changes.
	run(fmt.Sprintf("sam %[1]s bob lrs carol lr; sam %[2]s bob lrs carol lr; dam %[2]s carol; "+
		"sq %[1]s STORAGE 500; sq %[2]s STORAGE 600", one, two))
	want := "bob lrs\ncarol lr\nbob lrs\nSTORAGE 0/500 (0%)\nSTORAGE 0/600 (0%)\n"
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out.Reset()
		run(fmt.Sprintf("lam %[1]s; lam %[2]s; lq %[1]s; lq %[2]s", one, two))
		if dropOwner(out.String()) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s, stdout:\n%s\nwant (the owner's entries aside):\n%s", dropOwner(out.String()), want)
		}
	}
	s.Close(ctx)
	if n := strings.Count(trace.String(), "[REFERRAL imap://"); n != 7 {
		t.Errorf("%d referrals in the trace, want 7: 2 CREATE, 4 SETACL, 1 DELETEACL:\n%s", n, trace.String())
	}
	if n := strings.Count(trace.String(), " LOGIN ") + strings.Count(trace.String(), " AUTHENTICATE "); n != 3 {
		t.Errorf("%d logins, want 3: the frontend and each backend once", n)
	}
	if n := strings.Count(trace.String(), " LOGOUT\r\n") + strings.Count(trace.String(), " LOGOUT\n"); n != 3 {
		t.Errorf("%d LOGOUTs, want 3: the frontend and each backend", n)
	}
	checkACL(t, ctx, m, m.Backend1, one, "bob lrs carol lr")
	checkACL(t, ctx, m, m.Backend2, two, "bob lrs")
}

// syncWriter serializes writes: the trace of several connections goes to one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// waitVisible waits until the frontend lists every mailbox.
func waitVisible(t *testing.T, ctx context.Context, c *imapconn.Client, names ...string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		items, err := c.List(ctx, "", "user.r*", imapconn.ListOptions{}).Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, it := range items {
			if slices.Contains(names, it.Name) {
				seen++
			}
		}
		if seen == len(names) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frontend does not list %q after 15 s", names)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dropOwner removes the lines of a user's own entry in listacl output (user.rone123 has
// rone123 with every right).
func dropOwner(out string) string {
	var keep []string
	for _, line := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(line, "rone") && !strings.HasPrefix(line, "rtwo") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// checkACL checks, on the backend itself, the entries of identifiers other than the owner.
func checkACL(t *testing.T, ctx context.Context, m testserver.MurderServers, addr, name, want string) {
	t.Helper()
	c, err := Connect(ctx, Config{Server: addr, User: m.Admin, Password: func() (string, error) { return m.AdminPassword, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	entries, err := c.GetACL(ctx, name).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if !strings.HasPrefix(name, "user."+e.ID) {
			got = append(got, e.ID+" "+e.Rights)
		}
	}
	if strings.Join(got, " ") != want {
		t.Errorf("%s on %s: ACL %q, want %q", name, addr, got, want)
	}
}
