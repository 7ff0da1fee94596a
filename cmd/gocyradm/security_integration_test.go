//go:build linux

package main

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/internal/imaptest"
	"golang.org/x/sys/unix"
)

// secTransport is one way of reaching a server over TLS.
type secTransport struct {
	name  string
	flag  string
	addr  func(a account) string
	first string // the first command sent: STARTTLS, or the login itself
}

var secTransports = []secTransport{
	{"implicit TLS", "--tls", func(a account) string { return a.srv.TLSAddr }, ""},
	{"STARTTLS", "--starttls", func(a account) string { return a.srv.Addr }, "STARTTLS"},
}

// TestSecurityMechanisms logs in to Cyrus with each mechanism over implicit TLS and
// STARTTLS: the server's answer to a LIST proves the login, the trace shows the mechanism
// and never the password.
func TestSecurityMechanisms(t *testing.T) {
	a := cyrusAdmin(t)
	for _, tr := range secTransports {
		for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "login"} {
			t.Run(tr.name+"/"+mech, func(t *testing.T) {
				r := runGocyradm(t, a.password, "", tr.flag, "-u", a.user, "--cafile", a.srv.CAFile, "-a", mech,
					"--trace", "-o", "plain", "-c", "lm user.%", tr.addr(a))
				want := "AUTHENTICATE " + mech
				if mech == "login" {
					want = "LOGIN <redacted> <redacted>"
				}
				secCheckLogin(t, r, tr.first, want, a.password)
			})
		}
	}
}

// TestSecurityExternal logs in with the client certificate alone: the password in the
// environment is wrong, so only EXTERNAL can succeed, and it is chosen by itself.
func TestSecurityExternal(t *testing.T) {
	a := cyrusAdmin(t)
	cert := secClientCert(t, a)
	for _, tr := range secTransports {
		for _, mech := range []string{"EXTERNAL", ""} {
			t.Run(tr.name+"/"+cmp.Or(mech, "automatic"), func(t *testing.T) {
				args := []string{tr.flag, "-u", a.user, "--cafile", a.srv.CAFile, "--tlskey", cert, "--trace", "-o", "plain", "-c", "lm user.%", tr.addr(a)}
				if mech != "" {
					args = append([]string{"-a", mech}, args...)
				}
				secCheckLogin(t, runGocyradm(t, "wrong-password", "", args...), tr.first, "AUTHENTICATE EXTERNAL <redacted>", "wrong-password")
			})
		}
	}
}

// secClientCert returns the client certificate the test server maps to its admin.
func secClientCert(t *testing.T, a account) string {
	t.Helper()
	if a.srv.ClientCert == "" {
		t.Fatal("the test servers were started without a client certificate: restart them with the current scripts/testservers.sh")
	}
	return a.srv.ClientCert
}

// secCheckLogin checks a run that listed user.% after logging in: first is the first
// command sent ("" for the login itself), login the start of the login command.
func secCheckLogin(t *testing.T, r result, first, login, password string) {
	t.Helper()
	if r.status != 0 || !strings.Contains(r.stdout, "user.") {
		t.Fatalf("status %d, stdout %q, stderr:\n%s", r.status, r.stdout, r.stderr)
	}
	sent := sentCommands(r.stderr)
	i := slices.IndexFunc(sent, func(s string) bool { return strings.HasPrefix(s, "AUTHENTICATE ") || strings.HasPrefix(s, "LOGIN ") })
	if i < 0 || !strings.HasPrefix(sent[i], login) {
		t.Errorf("the login sent is not %q: %q", login, sent)
	}
	if (first == "") != (i == 0) || (first != "" && sent[0] != first) {
		t.Errorf("sent %q, want %q first", sent, first)
	}
	for _, secret := range []string{password, base64.StdEncoding.EncodeToString([]byte(password))} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("the trace shows %q:\n%s", secret, r.stderr)
		}
	}
}

// TestSecurityAutomaticChoice: with no -a, gocyradm takes STARTTLS and the strongest
// mechanism Cyrus offers, SCRAM-SHA-256, whose last step (an empty response to the
// server's signature) Cyrus accepts.
func TestSecurityAutomaticChoice(t *testing.T) {
	a := cyrusAdmin(t)
	r := runGocyradm(t, a.password, "", "-u", a.user, "--cafile", a.srv.CAFile, "--trace", "-o", "plain", "-c", "lm user.%", a.srv.Addr)
	secCheckLogin(t, r, "STARTTLS", "AUTHENTICATE SCRAM-SHA-256 <redacted>", a.password)
	want := "C: g3 AUTHENTICATE SCRAM-SHA-256 <redacted>\nS: + <redacted>\nC: <redacted>\nS: + <redacted>\nC: <redacted>\nS: g3 OK "
	if !strings.Contains(r.stderr, want) {
		t.Errorf("the trace lacks the whole SCRAM exchange %q:\n%s", want, r.stderr)
	}
}

// TestSecurityProxyAuthorization: with -z bob the admin acts as bob, with every mechanism
// that carries an authorization identity: the server's MYRIGHTS on INBOX is what bob
// himself gets, while the admin alone has no INBOX.
func TestSecurityProxyAuthorization(t *testing.T) {
	a := cyrusAdmin(t)
	u := ordinaryUser(t, a, 1)
	bob := u.user
	rights, err := u.client(t).MyRights(testCtx(t), "INBOX").Wait(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"-u", a.user, "--cafile", a.srv.CAFile, "-o", "plain", "-c", "myrights INBOX"}
	if r := runGocyradm(t, a.password, "", append(base, a.srv.Addr)...); r.status != 1 || !strings.Contains(r.stderr, "Mailbox does not exist") {
		t.Errorf("without -z: status %d, stderr %q; want 1 and no INBOX", r.status, r.stderr)
	}
	for _, mech := range []string{"", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "EXTERNAL"} {
		args := append([]string{"-z", bob, "-a", mech}, base...)
		if mech == "EXTERNAL" {
			args = append(args, "--tlskey", secClientCert(t, a))
		}
		r := runGocyradm(t, a.password, "", append(args, a.srv.Addr)...)
		if r.status != 0 || r.stdout != rights+"\n" {
			t.Errorf("-z %s -a %q: status %d, stdout %q, stderr %q; want bob's rights %q", bob, mech, r.status, r.stdout, r.stderr, rights)
		}
	}
	r := runGocyradm(t, a.password, "", append([]string{"-z", bob, "-a", "CRAM-MD5"}, append(base, a.srv.Addr)...)...)
	if want := "gocyradm: authentication failed: CRAM-MD5 cannot act as bob: use SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN\n"; r.status != 4 || r.stderr != want {
		t.Errorf("-z with CRAM-MD5: status %d, stderr %q; want 4 and %q", r.status, r.stderr, want)
	}
}

// TestSecurityUntrustedCertificate: without the test CA, Cyrus's certificate is refused
// over both transports with exit 3 and what to do; --insecure connects, with a warning.
func TestSecurityUntrustedCertificate(t *testing.T) {
	a := cyrusAdmin(t)
	for _, tr := range secTransports {
		addr := tr.addr(a)
		r := runGocyradm(t, a.password, "", tr.flag, "-u", a.user, "-c", "lm", addr)
		want := "gocyradm: cannot connect: " + addr + ": TLS handshake failed: the server's certificate is signed by an unknown authority: " +
			"pass the CA that signed it with --cafile FILE or --capath DIR (or --insecure to skip verification)\n"
		if r.status != 3 || r.stderr != want {
			t.Errorf("%s: status %d, stderr %q; want 3 and %q", tr.name, r.status, r.stderr, want)
		}
		r = runGocyradm(t, a.password, "", tr.flag, "--insecure", "-u", a.user, "-c", "lm user.%", addr)
		if r.status != 0 || !strings.Contains(r.stderr, "warning: --insecure: the server's certificate is not verified") {
			t.Errorf("%s --insecure: status %d, stderr %q; want 0 and a warning", tr.name, r.status, r.stderr)
		}
	}
}

// TestSecurityNameMismatch reaches Cyrus as ::1, a name its certificate (for localhost
// and 127.0.0.1) does not hold: exit 3, naming the names it holds.
func TestSecurityNameMismatch(t *testing.T) {
	a := cyrusAdmin(t)
	for _, tr := range secTransports {
		addr := secForward(t, tr.addr(a))
		r := runGocyradm(t, a.password, "", tr.flag, "-u", a.user, "--cafile", a.srv.CAFile, "-c", "lm", addr)
		want := "gocyradm: cannot connect: " + addr + `: TLS handshake failed: the server's certificate is not valid for "::1" ` +
			"(certificate is valid for 127.0.0.1, not ::1): connect with the name the certificate was issued for\n"
		if r.status != 3 || r.stderr != want {
			t.Errorf("%s: status %d, stderr %q; want 3 and %q", tr.name, r.status, r.stderr, want)
		}
	}
}

// secForward listens on [::1] and forwards each connection to addr; it returns its address.
func secForward(t *testing.T, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatalf("no IPv6 loopback for the name mismatch: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go secPipe(in, addr)
		}
	}()
	return l.Addr().String()
}

func secPipe(in net.Conn, addr string) {
	defer in.Close()
	out, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer out.Close()
	go func() {
		_, _ = io.Copy(out, in) // ends when either side hangs up
		out.Close()
	}()
	_, _ = io.Copy(in, out) // ends when either side hangs up
}

// TestSecurityExpiredCertificate serves an expired certificate, signed by a CA that is
// trusted, from a Go TLS listener: exit 3, saying it expired.
func TestSecurityExpiredCertificate(t *testing.T) {
	caFile, issue := secPKI(t)
	cert := issue(time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	l := tls.NewListener(listenLoopback(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	srv := imaptest.Serve(t, l, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready", imaptest.OK)
	r := runGocyradm(t, "pw", "", "--tls", "-u", "admin", "--cafile", caFile, "-c", "lm", srv.Addr())
	prefix := "gocyradm: cannot connect: " + srv.Addr() + ": TLS handshake failed: the server's certificate has expired or is not yet valid (certificate has expired or is not yet valid: current time "
	suffix := "): the server needs a valid certificate (check its clock and this machine's)\n"
	if r.status != 3 || !strings.HasPrefix(r.stderr, prefix) || !strings.HasSuffix(r.stderr, suffix) {
		t.Errorf("status %d, stderr %q; want 3 and %q...%q", r.status, r.stderr, prefix, suffix)
	}
	if got := srv.Commands(); len(got) != 0 {
		t.Errorf("the server received %q", got)
	}
}

// secPKI makes a CA, writes its certificate to a file, and returns the file and a
// function issuing server certificates for localhost and 127.0.0.1.
func secPKI(t *testing.T) (string, func(notBefore, notAfter time.Time) tls.Certificate) {
	t.Helper()
	caKey := secKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "expired test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	issue := func(notBefore, notAfter time.Time) tls.Certificate {
		key := secKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: notBefore, NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	return caFile, issue
}

func secKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestSecurityNoTLSSendsNoSTARTTLS: --notls logs in to Cyrus on loopback without STARTTLS.
func TestSecurityNoTLSSendsNoSTARTTLS(t *testing.T) {
	a := cyrusAdmin(t)
	r := runGocyradm(t, a.password, "", "--notls", "-u", a.user, "--trace", "-o", "plain", "-c", "lm user.%", a.srv.Addr)
	secCheckLogin(t, r, "", "AUTHENTICATE SCRAM-SHA-256", a.password)
	if slices.Contains(sentCommands(r.stderr), "STARTTLS") {
		t.Errorf("--notls sent STARTTLS:\n%s", r.stderr)
	}
}

// TestSecurityStartTLSRequired: --starttls against a server that does not offer it
// exits 3 before anything is sent.
func TestSecurityStartTLSRequired(t *testing.T) {
	srv := imaptest.Listen(t, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready", imaptest.OK)
	r := runGocyradm(t, "pw", "", "--starttls", "-u", "admin", "-c", "lm", srv.Addr())
	want := "gocyradm: cannot connect: " + srv.Addr() + " does not offer STARTTLS, which --starttls requires\n"
	if r.status != 3 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 3 and %q", r.status, r.stderr, want)
	}
	if got := srv.Commands(); len(got) != 0 {
		t.Errorf("the server received %q", got)
	}
}

// TestSecurityPlaintextOffLoopback puts a server without STARTTLS at 10.200.N.2, the far
// end of a veth pair into a network namespace of the test's own, so that it is not
// loopback: gocyradm refuses to log in (exit 4) and sends nothing, unless
// --allow-plaintext, which sends the password.
func TestSecurityPlaintextOffLoopback(t *testing.T) {
	l := secNamespaceListener(t)
	srv := imaptest.Serve(t, l, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready", imaptest.OK)
	for _, flags := range [][]string{nil, {"--notls"}, {"-a", "login"}, {"-a", "PLAIN"}} {
		r := runGocyradm(t, "s3cret", "", append(flags, "-u", "admin", "-c", "lm", srv.Addr())...)
		want := "gocyradm: authentication failed: refusing to send a password unencrypted to " + srv.Addr() +
			": use TLS (the server offers no STARTTLS, or --notls was given) or pass --allow-plaintext\n"
		if r.status != 4 || r.stderr != want {
			t.Errorf("%q: status %d, stderr %q; want 4 and %q", flags, r.status, r.stderr, want)
		}
		if got := srv.Commands(); len(got) != 0 {
			t.Fatalf("%q: the server received %q", flags, got)
		}
	}
	r := runGocyradm(t, "s3cret", "", "--allow-plaintext", "-u", "admin", "-c", "lm", srv.Addr())
	want := "AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00admin\x00s3cret"))
	if got := srv.Commands(); r.status != 0 || len(got) == 0 || got[0] != want {
		t.Errorf("--allow-plaintext: status %d, stderr %q, the server received %q; want %q first", r.status, r.stderr, got, want)
	}
}

// secNamespaceListener creates a network namespace and a veth pair into it, with
// 10.200.N.1 outside and 10.200.N.2 inside (a /30 on the pair alone, so no traffic
// leaves the machine), and listens on 10.200.N.2:143 inside. Everything is removed at
// the end of the test.
func secNamespaceListener(t *testing.T) net.Listener {
	t.Helper()
	id := os.Getpid() % 100000
	ns, outer, inner := fmt.Sprintf("gocyradm-sec-%d", id), fmt.Sprintf("gcs%da", id), fmt.Sprintf("gcs%db", id)
	subnet := fmt.Sprintf("10.200.%d.", id%250)
	if err := secIP("netns", "add", ns); err != nil {
		t.Skipf("cannot create a network namespace, which this test needs for an address that is not loopback (it runs as root under scripts/test.sh): %v", err)
	}
	t.Cleanup(func() { _ = secIP("netns", "del", ns) }) // deleting the namespace deletes the veth pair too
	for _, args := range [][]string{
		{"link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns},
		{"addr", "add", subnet + "1/30", "dev", outer},
		{"link", "set", outer, "up"},
		{"-n", ns, "addr", "add", subnet + "2/30", "dev", inner},
		{"-n", ns, "link", "set", inner, "up"},
	} {
		if err := secIP(args...); err != nil {
			t.Fatal(err)
		}
	}
	l, err := listenInNamespace(ns, subnet+"2:143")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func secIP(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// listenInNamespace listens on addr inside the network namespace ns. It switches a thread
// of its own into ns, which the runtime discards when the goroutine ends.
func listenInNamespace(ns, addr string) (net.Listener, error) {
	type listened struct {
		l   net.Listener
		err error
	}
	done := make(chan listened)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is left in ns and ends with the goroutine
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			done <- listened{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- listened{nil, fmt.Errorf("entering network namespace %s: %w", ns, err)}
			return
		}
		l, err := net.Listen("tcp", addr)
		done <- listened{l, err}
	}()
	r := <-done
	return r.l, r.err
}
