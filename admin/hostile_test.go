package admin

import (
	"context"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// hostileEnv is the environment the hostile scripts expand variables from.
func hostileEnv(name string) (string, bool) {
	switch name {
	case "EVIL":
		return "x\r\nz1 DELETE user.victim", true
	case "LF":
		return "a\nb", true
	case "NUL":
		return "a\x00b", true
	}
	return "", false
}

// runHostile runs script on a fake Cyrus with hostileEnv and returns the exit status,
// standard error and the commands the server received.
func runHostile(t *testing.T, script string) (int, string, []string) {
	t.Helper()
	s, f, out, errOut := fakeSession(t, cyrusGreeting, imaptest.OK)
	s.Getenv = hostileEnv
	status := s.RunScript(context.Background(), strings.NewReader(script), "-c")
	if out.String() != "" {
		t.Errorf("%.60q: stdout %q", script, out.String())
	}
	return status, errOut.String(), f.Commands()
}

// TestHostileScriptLines: control characters that reach an argument through a variable,
// a quote or an escape, an overlong line and a quote that never ends are each refused
// with the line and column, and nothing of the script is sent.
func TestHostileScriptLines(t *testing.T) {
	const nothing = "-c: nothing was run: correct the lines above first\n"
	tests := []struct{ script, want string }{
		{"cm $EVIL", "-c:1: column 4: variable \"EVIL\" contains control character U+000D\n" + nothing},
		{`cm "user.$EVIL"`, "-c:1: column 10: variable \"EVIL\" contains control character U+000D\n" + nothing},
		{"sam user.a ${EVIL} lr", "-c:1: column 12: variable \"EVIL\" contains control character U+000D\n" + nothing},
		{"cm $LF", "-c:1: column 4: variable \"LF\" contains control character U+000A\n" + nothing},
		{"cm $NUL", "-c:1: column 4: variable \"NUL\" contains control character U+0000\n" + nothing},
		{"cm a\rz1 DELETE user.victim", "-c:1: column 5: control character U+000D\n" + nothing},
		{"cm 'a\rb'", "-c:1: column 6: control character U+000D\n" + nothing},
		{"cm \"a\x00b\"", "-c:1: column 6: control character U+0000\n" + nothing},
		{"cm a\\\rb", "-c:1: column 6: control character U+000D\n" + nothing},
		{"lm\ncm user.a\ncm 'user.b", "-c:3: column 4: unterminated quote\n" + nothing},
		{"cm " + strings.Repeat(`"'`, 5000), "-c:1: column 10003: unterminated quote\n" + nothing},
		{"lm\ncm " + strings.Repeat("a", 1<<20), "-c:2: the line is longer than 1048576 bytes: nothing was run\n"},
	}
	for _, tt := range tests {
		status, errOut, sent := runHostile(t, tt.script)
		if status != StatusFailed || errOut != tt.want || len(sent) != 0 {
			t.Errorf("%.60q: status %d, stderr %q, sent %q; want 1, %q and nothing sent", tt.script, status, errOut, sent, tt.want)
		}
	}
}

// TestHostileArguments: arguments that pass the lexer but cannot be sent are refused by
// the verb, naming the argument, and only that line fails.
func TestHostileArguments(t *testing.T) {
	tests := []struct{ script, want string }{
		{"cm a\x1bb", "-c:1: createmailbox: mailbox name \"a\\x1bb\" has a control character (U+001B) at byte 1: remove it\n"},
		{"cm 'user.\xff'", "-c:1: createmailbox: mailbox name \"user.\\xff\" is not valid UTF-8 at byte 5: type names in UTF-8\n"},
	}
	for _, tt := range tests {
		status, errOut, sent := runHostile(t, tt.script)
		if status != StatusFailed || errOut != tt.want || len(sent) != 0 {
			t.Errorf("%q: status %d, stderr %q, sent %q; want 1, %q and nothing sent", tt.script, status, errOut, sent, tt.want)
		}
	}
}

// TestHostileQuotingTravelsWhole: deeply quoted strings and names with wildcards where no
// pattern is expected reach the server as one argument each, quoted, never expanded
// with LIST and never split into a second command.
func TestHostileQuotingTravelsWhole(t *testing.T) {
	quotes := strings.Repeat(`\"`, 10000)
	tests := []struct{ script, want string }{
		{`cm "` + quotes + `"`, `CREATE "` + strings.Repeat(`\"`, 10000) + `"`},
		{`cm 'a\"b'`, `CREATE "a\\\"b"`},
		{"cm user.*", `CREATE "user.*"`},
		{"cm 'user.%'", `CREATE "user.%"`},
		{"renm user.a* user.b", `RENAME "user.a*" user.b`},
		{"renm user.a user.%", `RENAME user.a "user.%"`},
		{"sub user.%", `SUBSCRIBE "user.%"`},
		{"reconstruct user.*", `RECONSTRUCT "user.*"`},
		{"xfer user.* backend", `XFER "user.*" backend`},
		{`cm "user.a b" ; cm 'c;d'`, `CREATE "user.a b"|CREATE c;d`},
	}
	for _, tt := range tests {
		status, errOut, sent := runHostile(t, tt.script)
		if status != StatusOK || errOut != "" || strings.Join(sent, "|") != tt.want {
			t.Errorf("%.60q: status %d, stderr %q, sent %.80q; want 0 and %.80q", tt.script, status, errOut, sent, tt.want)
		}
	}
}
