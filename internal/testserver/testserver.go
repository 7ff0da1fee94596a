// Package testserver hands integration tests the real IMAP servers that scripts/test.sh starts
// on loopback: a Cyrus IMAP server and a Dovecot server, described by GOCYRADM_TEST_*
// environment variables (see scripts/testservers.sh, which writes them).
//
// Outside scripts/test.sh the variables are not set and the tests that need a server are
// skipped, saying so. Under scripts/test.sh a server that is missing or does not answer is a
// test failure, never a skip.
package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// Names of the environment variables that describe the test servers.
const (
	EnvServers      = "GOCYRADM_TEST_SERVERS"
	EnvCAFile       = "GOCYRADM_TEST_CAFILE"
	EnvUserPassword = "GOCYRADM_TEST_USER_PASSWORD"

	EnvCyrus         = "GOCYRADM_TEST_CYRUS"
	EnvCyrusTLS      = "GOCYRADM_TEST_CYRUS_TLS"
	EnvCyrusAdmin    = "GOCYRADM_TEST_CYRUS_ADMIN"
	EnvCyrusPassword = "GOCYRADM_TEST_CYRUS_PASSWORD"
	EnvCyrusUsers    = "GOCYRADM_TEST_CYRUS_USERS"
	EnvClientCert    = "GOCYRADM_TEST_CLIENT_CERT"

	EnvDovecot      = "GOCYRADM_TEST_DOVECOT"
	EnvDovecotTLS   = "GOCYRADM_TEST_DOVECOT_TLS"
	EnvDovecotUsers = "GOCYRADM_TEST_DOVECOT_USERS"
)

// dialTimeout is how long a server's address may take to accept a TCP connection.
const dialTimeout = 5 * time.Second

// Server describes one running test server.
type Server struct {
	// Name is "cyrus" or "dovecot".
	Name string
	// Addr is the host:port of plain IMAP, where the server offers STARTTLS.
	Addr string
	// TLSAddr is the host:port of IMAP over implicit TLS (imaps). It is empty for a Dovecot
	// started without an imaps listener.
	TLSAddr string
	// CAFile is the PEM file of the private CA that signed the server's certificate, which is
	// valid for localhost and 127.0.0.1.
	CAFile string
	// Admin is the name of the server's administrator. It is empty for Dovecot, which has no
	// administrator over IMAP.
	Admin string
	// AdminPassword is Admin's password.
	AdminPassword string
	// Users are ordinary users of the server (they own no mailboxes until a test creates them).
	Users []string
	// UserPassword is the password of every user in Users.
	UserPassword string
	// ClientCert is a PEM file holding a client certificate for Admin, signed by the CA of
	// CAFile, and its key: the server maps it to Admin for SASL EXTERNAL. It is empty for
	// Dovecot, and for servers started by an older scripts/testservers.sh.
	ClientCert string
}

// Cyrus returns the Cyrus IMAP test server. It skips the test when run outside scripts/test.sh,
// and fails it when the server's variables are missing or the server does not accept
// connections.
func Cyrus(t testing.TB) Server {
	t.Helper()
	return get(t, "cyrus")
}

// Dovecot returns the Dovecot test server. It skips the test when run outside scripts/test.sh,
// and fails it when the server's variables are missing or the server does not accept
// connections.
func Dovecot(t testing.TB) Server {
	t.Helper()
	return get(t, "dovecot")
}

func get(t testing.TB, name string) Server {
	t.Helper()
	if os.Getenv(EnvServers) == "" {
		t.Skipf("%s: integration tests run only under scripts/test.sh (%s is not set)", name, EnvServers)
	}
	s, err := load(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.reachable(dialTimeout); err != nil {
		t.Fatal(err)
	}
	return s
}

// load reads the description of the server called name from the environment. Every variable
// the server needs must be set; the error names those that are not.
func load(name string) (Server, error) {
	var env envReader
	s := Server{
		Name:         name,
		CAFile:       env.need(EnvCAFile),
		UserPassword: env.need(EnvUserPassword),
	}
	switch name {
	case "cyrus":
		s.Addr = env.need(EnvCyrus)
		s.TLSAddr = env.need(EnvCyrusTLS)
		s.Admin = env.need(EnvCyrusAdmin)
		s.AdminPassword = env.need(EnvCyrusPassword)
		s.Users = strings.Fields(env.need(EnvCyrusUsers))
		s.ClientCert = os.Getenv(EnvClientCert)
	case "dovecot":
		s.Addr = env.need(EnvDovecot)
		s.TLSAddr = os.Getenv(EnvDovecotTLS)
		s.Users = strings.Fields(env.need(EnvDovecotUsers))
	default:
		return Server{}, fmt.Errorf("testserver: unknown server %q", name)
	}
	if len(env.missing) > 0 {
		return Server{}, fmt.Errorf("testserver: %s is set but the %s server's %s not set: "+
			"start the servers with scripts/testservers.sh, or run scripts/test.sh",
			EnvServers, name, listMissing(env.missing))
	}
	if _, err := os.Stat(s.CAFile); err != nil {
		return Server{}, fmt.Errorf("testserver: %s: %w", EnvCAFile, err)
	}
	return s, nil
}

// reachable checks that the server's addresses accept a TCP connection within timeout.
func (s Server) reachable(timeout time.Duration) error {
	var errs []error
	for _, addr := range []string{s.Addr, s.TLSAddr} {
		if addr == "" {
			continue
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("testserver: the %s test server does not answer: %w", s.Name, err))
			continue
		}
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("testserver: closing the probe of %s: %w", addr, err))
		}
	}
	return errors.Join(errs...)
}

// envReader reads required environment variables and remembers the ones that are not set.
type envReader struct {
	missing []string
}

func (e *envReader) need(name string) string {
	v := os.Getenv(name)
	if v == "" {
		e.missing = append(e.missing, name)
	}
	return v
}

func listMissing(names []string) string {
	if len(names) == 1 {
		return names[0] + " is"
	}
	return strings.Join(names, ", ") + " are"
}
