package imapconn

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a server's refusal: a tagged NO or BAD, or a BYE.
type Error struct {
	Status   string  // NO, BAD or BYE
	Code     string  // the response code, such as TRYCREATE or REFERRAL; "" if none
	CodeArgs []Value // the response code's arguments
	Text     string  // the server's words
	Command  string  // the command that was refused, such as CREATE
}

// Error returns the server's words, or the status when the server gave none. Control
// characters in them are shown escaped.
func (e *Error) Error() string {
	if e.Text == "" {
		return "server answered " + e.Status
	}
	return printable(e.Text)
}

// Referral returns the URL of a REFERRAL response code, or "".
func (e *Error) Referral() string {
	if e.Code == "REFERRAL" && len(e.CodeArgs) > 0 {
		return e.CodeArgs[0].Text()
	}
	return ""
}

// ProtocolError reports a response that breaks the IMAP grammar or a limit.
type ProtocolError struct {
	Rule string // the grammar rule being parsed, such as "quoted"; may be empty
	Msg  string // what was wrong
	Line string // the offending response, shortened; may be empty
}

// Error describes the broken rule and shows a prefix of the response.
func (e *ProtocolError) Error() string {
	var b strings.Builder
	b.WriteString("malformed server response: ")
	if e.Rule != "" {
		b.WriteString("in " + e.Rule + ": ")
	}
	b.WriteString(e.Msg)
	if e.Line != "" {
		line := e.Line
		if len(line) > 80 {
			line = line[:80] + "..."
		}
		b.WriteString(" (" + printable(strings.ToValidUTF8(strings.TrimRight(line, "\r\n"), "?")) + ")")
	}
	return b.String()
}

// printable shows the control characters of server text as \xNN escapes (tabs stay), so
// that an error message cannot carry a terminal's escape sequences.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0)
}

// ErrConnectionLost is wrapped by the error of every command that was pending, or started,
// after the connection ended unexpectedly.
var ErrConnectionLost = errors.New("connection lost")

// ErrClosed is wrapped by the error of every command started after Close or Logout.
var ErrClosed = errors.New("connection closed")
