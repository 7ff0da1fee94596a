package admin

import (
	"testing"

	"github.com/gocyradm/gocyradm/imapconn"
)

func TestEntryName(t *testing.T) {
	tests := []struct {
		attr    string
		private bool
		attrs   map[string]string
		want    string
		wantErr string
	}{
		{attr: "comment", attrs: mailboxAttributes, want: "/shared/comment"},
		{attr: "Comment", attrs: mailboxAttributes, want: "/shared/comment"},
		{attr: "comment", private: true, attrs: mailboxAttributes, want: "/private/comment"},
		{attr: "expire", attrs: mailboxAttributes, want: "/shared/vendor/cmu/cyrus-imapd/expire"},
		{attr: "news2mail", attrs: mailboxAttributes, want: "/shared/vendor/cmu/cyrus-imapd/news2mail"},
		{attr: "sharedseen", attrs: mailboxAttributes, want: "/shared/vendor/cmu/cyrus-imapd/sharedseen"},
		{attr: "sieve", attrs: mailboxAttributes, want: "/shared/vendor/cmu/cyrus-imapd/sieve"},
		{attr: "squat", private: true, attrs: mailboxAttributes, want: "/private/vendor/cmu/cyrus-imapd/squat"},
		{attr: "pop3showafter", attrs: mailboxAttributes, want: "/shared/vendor/cmu/cyrus-imapd/pop3showafter"},
		{attr: "/shared/vendor/x/y", attrs: mailboxAttributes, want: "/shared/vendor/x/y"},
		{attr: "/PRIVATE/comment", attrs: mailboxAttributes, want: "/PRIVATE/comment"},
		{attr: "/private/comment", private: true, attrs: mailboxAttributes, want: "/private/comment"},
		{attr: "/shared", attrs: mailboxAttributes, want: "/shared"},
		{attr: "motd", attrs: serverAttributes, want: "/shared/motd"},
		{attr: "admin", attrs: serverAttributes, want: "/shared/admin"},
		{attr: "shutdown", attrs: serverAttributes, want: "/shared/vendor/cmu/cyrus-imapd/shutdown"},
		{attr: "expire", attrs: serverAttributes, want: "/shared/vendor/cmu/cyrus-imapd/expire"},
		{attr: "squat", attrs: serverAttributes, want: "/shared/vendor/cmu/cyrus-imapd/squat"},
		{attr: "/shared/motd", attrs: serverAttributes, want: "/shared/motd"},
		{attr: "motd", attrs: mailboxAttributes,
			wantErr: `unknown attribute "motd": give one of comment, expire, news2mail, pop3showafter, sharedseen, sieve, squat, or a full entry name such as /shared/comment`},
		{attr: "/sharedx/comment", attrs: serverAttributes,
			wantErr: `unknown attribute "/sharedx/comment": give one of admin, comment, expire, motd, shutdown, squat, or a full entry name such as /shared/comment`},
		{attr: "/shared/comment", private: true, attrs: mailboxAttributes,
			wantErr: "--private does not go with the shared entry /shared/comment: give /private/... or leave out --private"},
	}
	for _, tt := range tests {
		got, err := entryName(tt.attr, tt.private, tt.attrs)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("entryName(%q, %v) error = %v, want %q", tt.attr, tt.private, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("entryName(%q, %v) = %q, %v; want %q", tt.attr, tt.private, got, err, tt.want)
		}
	}
}

func TestMetadataValue(t *testing.T) {
	if v := metadataValue("none"); v != nil {
		t.Errorf(`metadataValue("none") = %q, want nil (NIL)`, *v)
	}
	for _, typed := range []string{"None", "hello world", ""} {
		if v := metadataValue(typed); v == nil || *v != typed {
			t.Errorf("metadataValue(%q) = %v, want the value itself", typed, v)
		}
	}
}

func valueOf(s string) *string { return &s }

func TestMailboxMetadataOutput(t *testing.T) {
	m := newMailboxMetadata("user.a", []imapconn.Entry{
		{Name: "/shared/vendor/cmu/cyrus-imapd/size", Value: valueOf("0")},
		{Name: "/shared/comment", Value: valueOf("hello world")},
		{Name: "/private/sort", Value: nil},
		{Name: "/private/comment", Value: valueOf("two\r\nlines")},
		{Name: "/shared/check", Value: nil},
	})
	wantPlain(t, m, "{user.a}:\n"+
		"  private:\n"+
		"    /private/comment: \"two\\r\\nlines\"\n"+
		"  shared:\n"+
		"    /shared/comment: hello world\n"+
		"    /shared/vendor/cmu/cyrus-imapd/size: 0\n")
	wantJSON(t, "info", []string{"user.a"}, m,
		`{"verb":"info","args":["user.a"],"ok":true,"mailbox":"user.a","entries":[`+
			`{"name":"/private/comment","value":"two\r\nlines"},{"name":"/shared/comment","value":"hello world"},`+
			`{"name":"/shared/vendor/cmu/cyrus-imapd/size","value":"0"}]}`)

	server := newMailboxMetadata("", []imapconn.Entry{{Name: "/shared/motd", Value: valueOf("back at 5")}, {Name: "/shared/admin"}})
	wantPlain(t, server, "{Server Wide}\n  shared:\n    /shared/motd: back at 5\n")
	empty := newMailboxMetadata("user.b", nil)
	wantPlain(t, empty, "{user.b}:\n")
	wantJSON(t, "getmetadata", []string{"user.b"}, empty,
		`{"verb":"getmetadata","args":["user.b"],"ok":true,"mailbox":"user.b","entries":[]}`)

	p := patternMetadata{Pattern: "user.*", Mailboxes: []mailboxMetadata{empty, server}}
	wantPlain(t, p, "{user.b}:\n{Server Wide}\n  shared:\n    /shared/motd: back at 5\n")
	wantJSON(t, "info", []string{"user.*"}, patternMetadata{Pattern: "user.*", Mailboxes: []mailboxMetadata{empty}},
		`{"verb":"info","args":["user.*"],"ok":true,"pattern":"user.*","mailboxes":[{"mailbox":"user.b","entries":[]}]}`)
	if got := p.Mailboxes[1].rows([]string{"x"}); !sameRows(got, [][]string{{"x", "/shared/motd", "back at 5"}}) {
		t.Errorf("rows = %q", got)
	}
}

func TestMetadataSetJSON(t *testing.T) {
	wantJSON(t, "setinfo", []string{"motd", "none"}, metadataSet{Entry: "/shared/motd"},
		`{"verb":"setinfo","args":["motd","none"],"ok":true,"mailbox":"","entry":"/shared/motd","value":null}`)
	wantJSON(t, "mboxcfg", []string{"m", "comment", "a b"}, metadataSet{Mailbox: "m", Entry: "/shared/comment", Value: valueOf("a b")},
		`{"verb":"mboxcfg","args":["m","comment","a b"],"ok":true,"mailbox":"m","entry":"/shared/comment","value":"a b"}`)
	wantPlain(t, metadataSet{Mailbox: "m"}, "")
}

// TestMetadataArguments: a value of several words must be quoted (cyradm took the
// second word for the private flag); --private works in both option styles.
func TestMetadataArguments(t *testing.T) {
	s, _, _ := testSession()
	for _, tt := range []struct{ line, verb string }{
		{"mboxcfg m comment hello world", "mboxcfg"},
		{"setmd -p m comment hello world", "setmetadata"},
		{"setinfo motd hello world", "setinfo"},
	} {
		_, err := s.compileLine(tt.line, "")
		want := tt.verb + ": " + Lookup(tt.verb).usage()
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", tt.line, err, want)
		}
	}
	for _, line := range []string{"mboxcfg -p m comment x", "mboxconfig --private m comment x", "setmetadata -priv m comment x"} {
		steps, err := s.compileLine(line, "")
		if err != nil || !steps[0].args.Has("private") || len(steps[0].args.Pos) != 3 {
			t.Errorf("%s: %v; want --private and three arguments", line, err)
		}
	}
	if v := Lookup("mboxcfg"); v.usage() != "usage: mboxcfg [--private] MAILBOX ATTRIBUTE VALUE   (quote a VALUE that has spaces)" {
		t.Errorf("mboxcfg usage = %q: it should say to quote the value", v.usage())
	}
}

// TestMetadataWire checks what each metadata verb sends.
func TestMetadataWire(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 GETMETADATA (DEPTH infinity) user.a (/shared /private)
		S: * METADATA user.a ("/shared/comment" "hi" "/private" NIL)
		S: g1 OK done
		C: g2 GETMETADATA "" (/shared/motd)
		S: * METADATA "" (/shared/motd {5}
		S: a b c)
		S: g2 OK done
		C: g3 GETMETADATA (DEPTH infinity) "" (/shared /private)
		S: g3 OK done
		C: g4 SETMETADATA user.a (/shared/vendor/cmu/cyrus-imapd/expire "hello world")
		S: g4 OK done
		C: g5 SETMETADATA user.a (/private/comment NIL)
		S: g5 OK done
		C: g6 SETMETADATA "" (/shared/motd "back soon")
		S: g6 OK done
		C: g7 GETMETADATA user.a (/shared/comment /private/x)
		S: g7 NO Mailbox does not exist`)
	script := "info user.a; getmd '' motd; info; mboxcfg user.a expire 'hello world'; setmd --private user.a comment none; " +
		"setinfo motd 'back soon'; getmd user.a comment /private/x"
	if st := runScripted(t, s, script); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	if want := "{user.a}:\n  shared:\n    /shared/comment: hi\n{Server Wide}\n  shared:\n    /shared/motd: a b c\n{Server Wide}\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if want := "getmetadata: Mailbox does not exist\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

// TestInfoPattern: a pattern is expanded, every mailbox's GETMETADATA is pipelined, and
// each failure is reported and counted.
func TestInfoPattern(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 LIST "" user.%
		S: * LIST (\HasNoChildren) "." user.a
		S: * LIST (\HasNoChildren) "." user.b
		S: g1 OK done
		C: g2 GETMETADATA (DEPTH infinity) user.a (/shared /private)
		C: g3 GETMETADATA (DEPTH infinity) user.b (/shared /private)
		S: g2 NO Permission denied
		S: * METADATA user.b ("/private/comment" "mine")
		S: g3 OK done`)
	if st := runScripted(t, s, "info user.%"); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	if want := "{user.b}:\n  private:\n    /private/comment: mine\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if want := "info: user.a: Permission denied\ninfo: 1 of 2 mailboxes failed\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestMetadataNeedsCapability(t *testing.T) {
	s, _, errOut := scriptedSession(t, "IMAP4rev1 QUOTA", "")
	if st := runScripted(t, s, "info"); st != 1 || errOut.String() != "info: not supported by this server (it does not announce METADATA)\n" {
		t.Errorf("status %d, stderr %q", st, errOut)
	}
}
