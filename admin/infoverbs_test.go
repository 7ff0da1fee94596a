package admin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// rendered returns a result's plain form and its JSON line.
func rendered(t *testing.T, verb string, args []string, res Result) (plain, json string) {
	t.Helper()
	var p, j bytes.Buffer
	if err := res.Plain(&p); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&j, verb, args, res, nil); err != nil {
		t.Fatal(err)
	}
	return p.String(), j.String()
}

func checkRendered(t *testing.T, verb string, args []string, res Result, wantPlain, wantJSON string) {
	t.Helper()
	plain, json := rendered(t, verb, args, res)
	if plain != wantPlain {
		t.Errorf("%s plain:\n%q\nwant:\n%q", verb, plain, wantPlain)
	}
	if json != wantJSON {
		t.Errorf("%s JSON:\n%s\nwant:\n%s", verb, json, wantJSON)
	}
}

func TestInfoResults(t *testing.T) {
	size := int64(4096)
	tests := []struct {
		verb      string
		args      []string
		res       Result
		plain     string
		jsonShape string
	}{
		{
			"myrights", []string{"user.a"}, mailboxRights{Mailbox: "user.a", Rights: "lrswipkxtea"},
			"lrswipkxtea\n",
			`{"verb":"myrights","args":["user.a"],"ok":true,"mailbox":"user.a","rights":"lrswipkxtea"}`,
		},
		{
			"listrights", []string{"user.a", "bob"}, grantable{Mailbox: "user.a", ID: "bob", Required: "lr", Optional: []string{"s", "w", "kx", "0"}},
			"required: lr\noptional: s w kx 0\n",
			`{"verb":"listrights","args":["user.a","bob"],"ok":true,"mailbox":"user.a","id":"bob","required":"lr","optional":["s","w","kx","0"]}`,
		},
		{
			"listrights", []string{"user.a", "bob"}, grantable{Mailbox: "user.a", ID: "bob", Optional: []string{}},
			"required: \noptional: \n",
			`{"verb":"listrights","args":["user.a","bob"],"ok":true,"mailbox":"user.a","id":"bob","required":"","optional":[]}`,
		},
		{
			"namespace", nil, namespaces{Personal: []namespaceEntry{}, Other: []namespaceEntry{{"user.", "."}}, Shared: []namespaceEntry{{"", "."}}},
			"other \"user.\" \".\"\nshared \"\" \".\"\n",
			`{"verb":"namespace","args":[],"ok":true,"personal":[],"other":[{"prefix":"user.","delimiter":"."}],"shared":[{"prefix":"","delimiter":"."}]}`,
		},
		{
			"capability", nil, capabilities{Capabilities: []string{"IMAP4rev1", "ACL", "STATUS=SIZE"}},
			"IMAP4rev1\nACL\nSTATUS=SIZE\n",
			`{"verb":"capability","args":[],"ok":true,"capabilities":["IMAP4rev1","ACL","STATUS=SIZE"]}`,
		},
		{
			"status", []string{"user.a", "user.b c"}, mailboxStatuses{Mailboxes: []mailboxStatus{{"user.a", 3, 1, &size}, {"user.b c", 0, 0, new(int64)}}},
			"user.a MESSAGES 3 UNSEEN 1 SIZE 4096\nuser.b c MESSAGES 0 UNSEEN 0 SIZE 0\n",
			`{"verb":"status","args":["user.a","user.b c"],"ok":true,"mailboxes":[{"mailbox":"user.a","messages":3,"unseen":1,"size":4096},{"mailbox":"user.b c","messages":0,"unseen":0,"size":0}]}`,
		},
		{
			"status", []string{"INBOX"}, mailboxStatuses{Mailboxes: []mailboxStatus{{Mailbox: "INBOX", Messages: 2}}},
			"INBOX MESSAGES 2 UNSEEN 0\n",
			`{"verb":"status","args":["INBOX"],"ok":true,"mailboxes":[{"mailbox":"INBOX","messages":2,"unseen":0}]}`,
		},
		{
			"whoami", nil, identity{Server: "imap.example.org", User: "admin", Authenticated: true},
			"server: imap.example.org\nuser: admin\n",
			`{"verb":"whoami","args":[],"ok":true,"server":"imap.example.org","user":"admin","authz":"","authenticated":true}`,
		},
		{
			"whoami", nil, identity{Server: "imap.example.org", User: "admin", Authz: "bob", Authenticated: true},
			"server: imap.example.org\nuser: admin\nauthz: bob\n",
			`{"verb":"whoami","args":[],"ok":true,"server":"imap.example.org","user":"admin","authz":"bob","authenticated":true}`,
		},
		{
			"whoami", nil, identity{Server: "imap.example.org"},
			"server: imap.example.org\nuser: (not logged in)\n",
			`{"verb":"whoami","args":[],"ok":true,"server":"imap.example.org","user":"","authz":"","authenticated":false}`,
		},
	}
	for _, tt := range tests {
		checkRendered(t, tt.verb, tt.args, tt.res, tt.plain, tt.jsonShape+"\n")
	}
}

func TestInfoTables(t *testing.T) {
	tests := []struct {
		res  Tabler
		want []string
	}{
		{mailboxRights{Mailbox: "m", Rights: "la"}, []string{"lookup", "see the mailbox in LIST", "administer"}},
		{grantable{Required: "lr", Optional: []string{"kx"}}, []string{"required", "lookup, read", "optional", "create, delete mailbox"}},
		{namespaces{Personal: []namespaceEntry{{"", "/"}}}, []string{"personal", `""`, `"/"`}},
		{mailboxStatuses{Mailboxes: []mailboxStatus{{Mailbox: "INBOX", Messages: 2, Size: new(int64)}}}, []string{"MAILBOX", "SIZE", "INBOX"}},
		{identity{Server: "h", User: "u", Authenticated: true}, []string{"server", "h", "user", "u"}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := tt.res.Table(&b, 0); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%T table lacks %q:\n%s", tt.res, w, b.String())
			}
		}
	}
}

func TestStatusPipelinedAndSize(t *testing.T) {
	answer := func(cmd string) []string {
		switch cmd {
		case "STATUS user.a (MESSAGES UNSEEN SIZE)":
			return []string{"* STATUS user.a (MESSAGES 3 UIDNEXT 4 UNSEEN 1 SIZE 4096)", "TAG OK done"}
		case `STATUS "user.b c" (MESSAGES UNSEEN SIZE)`:
			return []string{`* STATUS "user.b c" (SIZE 0 UNSEEN 0 MESSAGES 0)`, "TAG OK done"}
		case "STATUS INBOX (MESSAGES UNSEEN)":
			return []string{"* STATUS INBOX (MESSAGES 2 UNSEEN 1)", "TAG OK done"}
		}
		return []string{"TAG NO Mailbox does not exist"}
	}
	status, out, errOut, got := runFake(t, cyrusGreeting, answer, "status user.a nope 'user.b c'")
	if want := "user.a MESSAGES 3 UNSEEN 1 SIZE 4096\nuser.b c MESSAGES 0 UNSEEN 0 SIZE 0\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if want := "-c:1: status: nope: Mailbox does not exist\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", status, errOut, want)
	}
	if len(got) != 3 {
		t.Errorf("sent %q, want three STATUS", got)
	}
	status, out, errOut, _ = runFake(t, dovecotGreeting, answer, "status INBOX")
	if status != 0 || out != "INBOX MESSAGES 2 UNSEEN 1\n" || errOut != "" {
		t.Errorf("without STATUS=SIZE: status %d, stdout %q, stderr %q", status, out, errOut)
	}
	status, _, errOut, _ = runFake(t, dovecotGreeting, answer, "status nope")
	if status != 1 || errOut != "-c:1: status: Mailbox does not exist\n" {
		t.Errorf("one mailbox failing: status %d, stderr %q", status, errOut)
	}
}

func TestInfoVerbsWire(t *testing.T) {
	answer := func(cmd string) []string {
		switch cmd {
		case "MYRIGHTS user.a":
			return []string{"* MYRIGHTS user.a lrswipkxtecda", "TAG OK done"}
		case "LISTRIGHTS user.a bob":
			return []string{`* LISTRIGHTS user.a bob "" l r s w i p kx t e c d a n 0`, "TAG OK done"}
		case "NAMESPACE":
			return []string{`* NAMESPACE NIL (("user." ".")) (("" "."))`, "TAG OK done"}
		case "CAPABILITY":
			return []string{"* CAPABILITY IMAP4rev1 ACL NAMESPACE X-REPLICATION", "TAG OK done"}
		}
		return imaptest.OK(cmd)
	}
	tests := []struct{ script, want string }{
		{"myrights user.a", "lrswipkxtecda\n"},
		{"listrights user.a bob", "required: \noptional: l r s w i p kx t e c d a n 0\n"},
		{"namespace", "other \"user.\" \".\"\nshared \"\" \".\"\n"},
		{"capability", "IMAP4rev1\nACL\nNAMESPACE\nX-REPLICATION\n"},
		{"whoami", "server: \nuser: \n"},
	}
	for _, tt := range tests {
		status, out, errOut, _ := runFake(t, cyrusGreeting, answer, tt.script)
		if status != 0 || out != tt.want || errOut != "" {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want %q", tt.script, status, out, errOut, tt.want)
		}
	}
}

func TestInfoVerbsCheckCapabilities(t *testing.T) {
	greeting := "* OK [CAPABILITY IMAP4rev1] bare server ready"
	for script, want := range map[string]string{
		"myrights x":     "-c:1: myrights: not supported by this server (it does not announce ACL)\n",
		"listrights x y": "-c:1: listrights: not supported by this server (it does not announce ACL)\n",
		"namespace":      "-c:1: namespace: not supported by this server (it does not announce NAMESPACE)\n",
	} {
		status, _, errOut, got := runFake(t, greeting, imaptest.OK, script)
		if status != 1 || errOut != want || len(got) != 0 {
			t.Errorf("%s: status %d, stderr %q, sent %q; want 1 and %q", script, status, errOut, got, want)
		}
	}
}
