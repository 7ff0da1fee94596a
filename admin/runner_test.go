package admin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func testSession() (*Session, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	s := &Session{IO: IO{Out: &out, Err: &errOut}, Getenv: func(string) (string, bool) { return "", false }}
	return s, &out, &errOut
}

func TestParseArgs(t *testing.T) {
	cm := Lookup("cm")
	tests := []struct {
		words   []string
		opts    map[string]string
		pos     []string
		wantErr string
	}{
		{words: []string{"user.a"}, opts: map[string]string{}, pos: []string{"user.a"}},
		{words: []string{"-part", "p2", "user.a"}, opts: map[string]string{"partition": "p2"}, pos: []string{"user.a"}},
		{words: []string{"--partition", "p2", "user.a"}, opts: map[string]string{"partition": "p2"}, pos: []string{"user.a"}},
		{words: []string{"-spec", `\Sent`, "user.a"}, opts: map[string]string{"specialuse": `\Sent`}, pos: []string{"user.a"}},
		{words: []string{"--", "-odd"}, opts: map[string]string{}, pos: []string{"-odd"}},
		{words: []string{"-x", "user.a"}, wantErr: "unknown option -x (see: help createmailbox)"},
		{words: []string{"--partition"}, wantErr: "option --partition needs a PARTITION"},
	}
	for _, tt := range tests {
		a, err := parseArgs(cm, tt.words)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseArgs(%q) error = %v, want %q", tt.words, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(a.Pos, "|") != strings.Join(tt.pos, "|") || len(a.Opts) != len(tt.opts) {
			t.Errorf("parseArgs(%q) = %+v, %v", tt.words, a, err)
			continue
		}
		for k, v := range tt.opts {
			if a.Opts[k] != v {
				t.Errorf("parseArgs(%q): option %s = %q, want %q", tt.words, k, a.Opts[k], v)
			}
		}
	}
}

func TestParseArgsAmbiguous(t *testing.T) {
	lm := Lookup("lm")
	if _, err := parseArgs(lm, []string{"-s"}); err == nil || err.Error() != "ambiguous option -s: could be --subscribed or --specialuse or --server" {
		t.Errorf("err = %v", err)
	}
}

// TestNegativeIdentifierIsPositional: verbs without options take "-bob" as an argument.
func TestNegativeIdentifierIsPositional(t *testing.T) {
	a, err := parseArgs(Lookup("dam"), []string{"user.a", "-bob"})
	if err != nil || len(a.Pos) != 2 || a.Pos[1] != "-bob" {
		t.Errorf("parseArgs = %+v, %v", a, err)
	}
}

func TestLookupAliases(t *testing.T) {
	for alias, name := range map[string]string{
		"create": "createmailbox", "cm": "createmailbox", "delete": "deletemailbox", "dm": "deletemailbox",
		"list": "listmailbox", "lm": "listmailbox", "listaclmailbox": "listacl", "lam": "listacl",
		"setacl": "setaclmailbox", "sam": "setaclmailbox", "deleteacl": "deleteaclmailbox", "dam": "deleteaclmailbox",
		"?": "help", "ver": "version", "quit": "exit", "LM": "listmailbox",
	} {
		if v := Lookup(alias); v == nil || v.Name != name {
			t.Errorf("Lookup(%q) = %v, want %s", alias, v, name)
		}
	}
}

// TestScriptIsCheckedWhole: any bad line means nothing runs, and every bad line is named.
func TestScriptIsCheckedWhole(t *testing.T) {
	s, out, errOut := testSession()
	script := "help\nfrobnicate x\ncm\nlm 'unterminated\nexit 3\n"
	status := s.RunScript(context.Background(), strings.NewReader(script), "cmds.txt")
	if status != StatusFailed {
		t.Errorf("status = %d, want 1", status)
	}
	if out.Len() != 0 {
		t.Errorf("something ran: %q", out.String())
	}
	want := "cmds.txt:2: unknown command: frobnicate (type help for the list of commands)\n" +
		"cmds.txt:3: createmailbox: usage: createmailbox [--partition PARTITION] [--specialuse USE] [--server SERVER] MAILBOX [PARTITION]\n" +
		"cmds.txt:4: column 4: unterminated quote\n" +
		"cmds.txt: nothing was run: correct the lines above first\n"
	if errOut.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut.String(), want)
	}
}

func TestNoConnection(t *testing.T) {
	s, _, errOut := testSession()
	status := s.RunScript(context.Background(), strings.NewReader("lm\nhelp lm\n"), "-c")
	if status != StatusFailed || !strings.HasPrefix(errOut.String(), "-c:1: listmailbox: no connection to server") {
		t.Errorf("status %d, stderr %q", status, errOut.String())
	}
}

func TestExitStatus(t *testing.T) {
	for script, want := range map[string]int{"exit": 0, "exit 7": 7, "help nothing; exit": 1, "exit 256": 1} {
		s, _, _ := testSession()
		if got := s.RunScript(context.Background(), strings.NewReader(script), "-c"); got != want {
			t.Errorf("%q: status %d, want %d", script, got, want)
		}
	}
}

func TestRedirectAndPipe(t *testing.T) {
	s, out, errOut := testSession()
	file := t.TempDir() + "/help.txt"
	script := "help cm > " + file + "\nhelp cm >> " + file + "\nhelp cm | grep -c usage\n!echo shell escape\n"
	if status := s.RunScript(context.Background(), strings.NewReader(script), "-c"); status != 0 {
		t.Fatalf("status %d: %s", status, errOut.String())
	}
	if out.String() != "1\nshell escape\n" {
		t.Errorf("stdout = %q", out.String())
	}
	data, err := readFile(file)
	if err != nil || strings.Count(data, "usage: createmailbox") != 2 {
		t.Errorf("redirected file = %q, %v; want the help twice", data, err)
	}
}

func TestJSONRecord(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, "listacl", []string{"user.a"}, mailboxACL{Mailbox: "user.a", ACL: []aclEntry{{"bob", "lrs"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&b, "createmailbox", []string{"user.a"}, nil, errors.New("Mailbox already exists")); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&b, "exit", nil, done{}, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"verb":"listacl","args":["user.a"],"ok":true,"mailbox":"user.a","acl":[{"id":"bob","rights":"lrs"}]}
{"verb":"createmailbox","args":["user.a"],"ok":false,"error":"Mailbox already exists"}
{"verb":"exit","args":[],"ok":true}
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func readFile(name string) (string, error) {
	data, err := os.ReadFile(name)
	return string(data), err
}
