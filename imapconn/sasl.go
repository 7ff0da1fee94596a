package imapconn

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/xdg-go/scram"
)

// The SASL mechanisms this file provides, beside go-sasl's PLAIN, LOGIN and EXTERNAL.
const (
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA1   = "SCRAM-SHA-1"
	CRAMMD5     = "CRAM-MD5"
)

// maxSCRAMIterations bounds the PBKDF2 iterations a server may ask for: each costs the
// client time that no deadline interrupts. Servers use 4096 (Cyrus, Dovecot) to some
// hundred thousand.
const maxSCRAMIterations = 1 << 20

// completer is a SASL client that checks, once the server has accepted the exchange,
// that the exchange was complete on the client's side too.
type completer interface {
	// Complete returns an error when the server accepted the exchange before the
	// client could check what it had to (SCRAM: the server's signature).
	Complete() error
}

// NewSCRAMClient returns a SASL client for mech, SCRAM-SHA-256 (RFC 7677) or
// SCRAM-SHA-1 (RFC 5802), that authenticates as user with password and acts as authz
// when authz is not empty. It checks the server's signature, so that a server that does
// not know the password cannot complete the login. Channel binding (the -PLUS
// mechanisms) is not used.
func NewSCRAMClient(mech, user, password, authz string) (sasl.Client, error) {
	return newSCRAMClient(mech, user, password, authz, nil)
}

// newSCRAMClient is NewSCRAMClient with the client nonce from nonce, if not nil.
func newSCRAMClient(mech, user, password, authz string, nonce scram.NonceGeneratorFcn) (sasl.Client, error) {
	var hash scram.HashGeneratorFcn
	switch mech {
	case SCRAMSHA256:
		hash = scram.SHA256
	case SCRAMSHA1:
		hash = scram.SHA1
	default:
		return nil, fmt.Errorf("%s is not a SCRAM mechanism gocyradm supports: use %s or %s", mech, SCRAMSHA256, SCRAMSHA1)
	}
	client, err := hash.NewClient(user, password, authz)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mech, err)
	}
	if nonce != nil {
		client = client.WithNonceGenerator(nonce)
	}
	return &scramClient{mech: mech, conv: client.NewConversation(), maxIters: maxSCRAMIterations}, nil
}

// scramClient adapts a SCRAM conversation to go-sasl's Client.
type scramClient struct {
	mech     string
	conv     *scram.ClientConversation
	maxIters int
	answered bool // the server-first message has been answered
}

// Start returns the client-first message as the initial response.
func (s *scramClient) Start() (string, []byte, error) {
	first, err := s.conv.Step("")
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", s.mech, err)
	}
	return s.mech, []byte(first), nil
}

// Next answers the server-first message with the client-final message, and checks the
// server-final message, answering it with an empty response.
func (s *scramClient) Next(challenge []byte) ([]byte, error) {
	if s.conv.Done() {
		return nil, fmt.Errorf("%s: %w", s.mech, sasl.ErrUnexpectedServerChallenge)
	}
	if !s.answered {
		if n, ok := scramIterations(string(challenge)); ok && n > s.maxIters {
			return nil, fmt.Errorf("%s: the server asks for %d iterations, more than the %d gocyradm allows", s.mech, n, s.maxIters)
		}
		s.answered = true
	}
	resp, err := s.conv.Step(string(challenge))
	if err != nil {
		return nil, fmt.Errorf("%s: the server's message is not acceptable: %w", s.mech, err)
	}
	return []byte(resp), nil
}

// scramIterations returns the iteration count of a server-first message
// ("r=...,s=...,i=4096"), which is its third attribute, if it is a number.
func scramIterations(serverFirst string) (int, bool) {
	attrs := strings.SplitN(serverFirst, ",", 4)
	if len(attrs) < 3 {
		return 0, false
	}
	digits, ok := strings.CutPrefix(attrs[2], "i=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Complete refuses a login the server accepted without proving that it knows the
// password.
func (s *scramClient) Complete() error {
	if !s.conv.Valid() {
		return fmt.Errorf("%s: the server accepted the login without proving that it knows the password (it sent no server signature): it may not be the server it claims to be", s.mech)
	}
	return nil
}

// NewCRAMMD5Client returns a SASL client for CRAM-MD5 (RFC 2195), which proves the
// password with an HMAC-MD5 of the server's challenge.
func NewCRAMMD5Client(user, password string) sasl.Client {
	return &cramMD5Client{user: user, password: password}
}

type cramMD5Client struct {
	user, password string
	answered       bool
}

// Start returns the mechanism's name: CRAM-MD5 has no initial response.
func (c *cramMD5Client) Start() (string, []byte, error) { return CRAMMD5, nil, nil }

// Next answers the server's one challenge with the user name and the HMAC in hex.
func (c *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, fmt.Errorf("%s: %w", CRAMMD5, sasl.ErrUnexpectedServerChallenge)
	}
	if len(challenge) == 0 {
		return nil, errors.New("CRAM-MD5: the server's challenge is empty")
	}
	c.answered = true
	mac := hmac.New(md5.New, []byte(c.password))
	mac.Write(challenge)
	return []byte(c.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}
