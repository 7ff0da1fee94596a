package imapconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// TLSOptions says which servers a client trusts and which certificate it presents.
type TLSOptions struct {
	CAFile    string // a PEM file of CA certificates trusted besides the system's; may be empty
	CADir     string // a directory of such PEM files; may be empty
	ClientKey string // a PEM file holding the client's certificate and its private key; may be empty
	Insecure  bool   // skip verification of the server's certificate
}

// TLSConfig returns the configuration gocyradm verifies servers with: the system's
// trusted CAs plus those opts names, the server's name checked and sent as SNI, and
// the client certificate of opts.ClientKey, if any, offered to servers that ask.
func TLSConfig(serverName string, opts TLSOptions) (*tls.Config, error) {
	pool, err := caPool(opts.CAFile, opts.CADir)
	if err != nil {
		return nil, err
	}
	config := &tls.Config{
		ServerName:         serverName,
		RootCAs:            pool,
		InsecureSkipVerify: opts.Insecure, // only on the user's explicit --insecure
		MinVersion:         tls.VersionTLS12,
	}
	if opts.ClientKey != "" {
		cert, err := loadClientKey(opts.ClientKey)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{cert}
	}
	return config, nil
}

// caPool returns the system's trusted CAs plus those in caFile and in the files of caDir.
func caPool(caFile, caDir string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	files, err := caFiles(caFile, caDir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading CA certificates: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) && f == caFile {
			return nil, fmt.Errorf("no PEM certificate found in CA file %s", f)
		}
	}
	return pool, nil
}

// loadClientKey reads a client certificate and its private key from one PEM file, the
// certificate first (with any intermediate certificates after it) and the key in any order.
func loadClientKey(file string) (tls.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("reading the client certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(data, data)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("client certificate file %s: %w: it must hold the certificate and its unencrypted private key, both in PEM", file, err)
	}
	return cert, nil
}

func caFiles(caFile, caDir string) ([]string, error) {
	var files []string
	if caFile != "" {
		files = append(files, caFile)
	}
	if caDir == "" {
		return files, nil
	}
	entries, err := os.ReadDir(caDir)
	if err != nil {
		return nil, fmt.Errorf("reading CA directory: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, filepath.Join(caDir, e.Name()))
		}
	}
	return files, nil
}

// Dial connects to addr ("host:port") and reads the greeting. With a non-nil tlsConfig
// the connection is implicit TLS (imaps).
func Dial(ctx context.Context, addr string, tlsConfig *tls.Config, opts Options) (*Client, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, &TLSError{Err: err}
		}
		conn = tc
	}
	return NewClient(ctx, conn, host, opts)
}

// StartTLS upgrades the connection with STARTTLS and asks for the capabilities again,
// as those announced before TLS cannot be trusted. No other command may be in flight.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	if err := c.upgradeTLS(ctx, config); err != nil {
		return err
	}
	_, err := c.Capability(ctx)
	return err
}

// upgradeTLS sends STARTTLS, makes the handshake and hands the reader goroutine the
// TLS connection, holding the writer's lock throughout.
func (c *Client) upgradeTLS(ctx context.Context, config *tls.Config) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	cmd := &Command{name: "STARTTLS", upgrade: true}
	if err := c.startLocked(ctx, cmd, nil); err != nil {
		return err
	}
	if _, err := cmd.Wait(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	raw := c.conn
	c.mu.Unlock()
	tc := tls.Client(raw, config)
	if err := tc.HandshakeContext(ctx); err != nil {
		terr := &TLSError{Err: err}
		c.fail(terr)
		return terr
	}
	c.mu.Lock()
	c.conn, c.caps = tc, nil
	c.mu.Unlock()
	c.bw = bufio.NewWriter(tc)
	select {
	case c.upgrade <- bufio.NewReader(tc):
		return nil
	case <-c.closed:
		return c.Err()
	}
}

// TLSError reports a failed TLS handshake, with what went wrong in words.
type TLSError struct{ Err error }

// Error says why the handshake failed.
func (e *TLSError) Error() string { return "TLS handshake failed: " + DescribeTLS(e.Err) }

// Unwrap returns the handshake's error.
func (e *TLSError) Unwrap() error { return e.Err }

// DescribeTLS explains a certificate verification failure in words: an unknown
// authority, a name mismatch or an expired certificate.
func DescribeTLS(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "the server's certificate is signed by an unknown authority"
	case errors.As(err, &host):
		return fmt.Sprintf("the server's certificate is not valid for %q (%s)", host.Host, strings.TrimPrefix(host.Error(), "x509: "))
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the server's certificate has expired or is not yet valid (" + strings.TrimPrefix(invalid.Error(), "x509: ") + ")"
	}
	return err.Error()
}
