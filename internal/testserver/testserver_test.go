package testserver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB whose Skip and Fatal are recorded instead of acted on, so that the
// paths that skip or fail a test can themselves be tested.
type recorder struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

// call runs f with a recorder on its own goroutine, since Skip and Fatal end the goroutine.
func call(t *testing.T, f func(testing.TB) Server) (Server, *recorder) {
	r := &recorder{TB: t}
	var s Server
	done := make(chan struct{})
	go func() {
		defer close(done)
		s = f(r)
	}()
	<-done
	return s, r
}

// listen returns the address of a TCP listener on loopback that lives as long as the test.
func listen(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l.Addr().String()
}

// closedAddr returns a loopback address where nothing listens any more.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// setAll sets every variable scripts/testservers.sh writes, with servers that accept connections,
// and returns the CA file's name.
func setAll(t *testing.T) (caFile string) {
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte("not checked here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		EnvServers:       "1",
		EnvCAFile:        caFile,
		EnvUserPassword:  "usersecret",
		EnvCyrus:         listen(t),
		EnvCyrusTLS:      listen(t),
		EnvCyrusAdmin:    "admin",
		EnvCyrusPassword: "adminsecret",
		EnvCyrusUsers:    "alice bob",
		EnvClientCert:    "/srv/tls/admin-client.pem",
		EnvDovecot:       listen(t),
		EnvDovecotTLS:    listen(t),
		EnvDovecotUsers:  "carol",
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	return caFile
}

func TestCyrus(t *testing.T) {
	caFile := setAll(t)
	got, r := call(t, Cyrus)
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
	}
	want := Server{
		Name:          "cyrus",
		Addr:          os.Getenv(EnvCyrus),
		TLSAddr:       os.Getenv(EnvCyrusTLS),
		CAFile:        caFile,
		Admin:         "admin",
		AdminPassword: "adminsecret",
		Users:         []string{"alice", "bob"},
		UserPassword:  "usersecret",
		ClientCert:    "/srv/tls/admin-client.pem",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cyrus() = %+v, want %+v", got, want)
	}
}

func TestDovecot(t *testing.T) {
	caFile := setAll(t)
	got, r := call(t, Dovecot)
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
	}
	want := Server{
		Name:         "dovecot",
		Addr:         os.Getenv(EnvDovecot),
		TLSAddr:      os.Getenv(EnvDovecotTLS),
		CAFile:       caFile,
		Users:        []string{"carol"},
		UserPassword: "usersecret",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Dovecot() = %+v, want %+v", got, want)
	}
}

func TestDovecotWithoutTLS(t *testing.T) {
	setAll(t)
	t.Setenv(EnvDovecotTLS, "")
	got, r := call(t, Dovecot)
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
	}
	if got.TLSAddr != "" || got.Addr != os.Getenv(EnvDovecot) {
		t.Errorf("Dovecot() = %+v, want Addr %s and no TLSAddr", got, os.Getenv(EnvDovecot))
	}
}

func TestSkipOutsideTestScript(t *testing.T) {
	setAll(t)
	t.Setenv(EnvServers, "")
	for name, f := range map[string]func(testing.TB) Server{"cyrus": Cyrus, "dovecot": Dovecot} {
		_, r := call(t, f)
		if r.failed != "" {
			t.Errorf("%s: failed %q, want a skip", name, r.failed)
		}
		if !strings.Contains(r.skipped, "scripts/test.sh") {
			t.Errorf("%s: skip message %q does not name scripts/test.sh", name, r.skipped)
		}
	}
}

func TestFailWhenVariablesMissing(t *testing.T) {
	tests := []struct {
		name    string
		f       func(testing.TB) Server
		unset   []string
		message string
	}{
		{"cyrus", Cyrus, []string{EnvCyrusTLS},
			"the cyrus server's GOCYRADM_TEST_CYRUS_TLS is not set"},
		{"cyrus", Cyrus, []string{EnvCyrus, EnvCyrusPassword},
			"the cyrus server's GOCYRADM_TEST_CYRUS, GOCYRADM_TEST_CYRUS_PASSWORD are not set"},
		{"cyrus", Cyrus, []string{EnvCAFile},
			"the cyrus server's GOCYRADM_TEST_CAFILE is not set"},
		{"dovecot", Dovecot, []string{EnvDovecot, EnvDovecotUsers, EnvUserPassword},
			"the dovecot server's GOCYRADM_TEST_USER_PASSWORD, GOCYRADM_TEST_DOVECOT, " +
				"GOCYRADM_TEST_DOVECOT_USERS are not set"},
	}
	for _, tt := range tests {
		setAll(t)
		for _, k := range tt.unset {
			t.Setenv(k, "")
		}
		_, r := call(t, tt.f)
		if r.skipped != "" {
			t.Errorf("%s without %v: skipped %q, want a failure", tt.name, tt.unset, r.skipped)
		}
		if !strings.Contains(r.failed, tt.message) {
			t.Errorf("%s without %v: failure %q, want it to say %q", tt.name, tt.unset, r.failed, tt.message)
		}
	}
}

func TestFailWhenCAFileMissing(t *testing.T) {
	setAll(t)
	missing := filepath.Join(t.TempDir(), "nothing.pem")
	t.Setenv(EnvCAFile, missing)
	_, r := call(t, Cyrus)
	if !strings.Contains(r.failed, missing) {
		t.Errorf("failure %q, want it to name %s", r.failed, missing)
	}
}

func TestFailWhenServerDoesNotAnswer(t *testing.T) {
	setAll(t)
	addr := closedAddr(t)
	t.Setenv(EnvCyrusTLS, addr)
	_, r := call(t, Cyrus)
	if r.skipped != "" {
		t.Errorf("skipped %q, want a failure", r.skipped)
	}
	for _, want := range []string{"the cyrus test server does not answer", addr} {
		if !strings.Contains(r.failed, want) {
			t.Errorf("failure %q, want it to say %q", r.failed, want)
		}
	}
}

// TestRealServers checks, under scripts/test.sh, that the servers described by the environment
// greet on their plain address and, over TLS verified with CAFile, on their TLS address.
func TestRealServers(t *testing.T) {
	for name, f := range map[string]func(testing.TB) Server{"cyrus": Cyrus, "dovecot": Dovecot} {
		t.Run(name, func(t *testing.T) {
			s := f(t)
			c, err := net.DialTimeout("tcp", s.Addr, dialTimeout)
			if err != nil {
				t.Fatal(err)
			}
			expectGreeting(t, c)
			if s.TLSAddr == "" {
				return
			}
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				t.Fatalf("%s holds no certificate", s.CAFile)
			}
			dialer := &net.Dialer{Timeout: dialTimeout}
			tc, err := tls.DialWithDialer(dialer, "tcp", s.TLSAddr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
			if err != nil {
				t.Fatal(err)
			}
			expectGreeting(t, tc)
		})
	}
}

// expectGreeting reads the first line from c, checks that it is an IMAP OK greeting, and closes c.
func expectGreeting(t *testing.T, c net.Conn) {
	t.Helper()
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	if err := c.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting of %s: %v", c.RemoteAddr(), err)
	}
	if !strings.HasPrefix(line, "* OK ") {
		t.Errorf("greeting of %s = %q, want * OK ...", c.RemoteAddr(), line)
	}
}
