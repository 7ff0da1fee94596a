package imapconn

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func atom(s string) Value { return Value{Kind: KindAtom, Str: s} }
func str(s string) Value  { return Value{Kind: KindString, Str: s} }
func list(v ...Value) Value {
	if v == nil {
		v = []Value{}
	}
	return Value{Kind: KindList, List: v}
}

var nilValue = Value{Kind: KindNil}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Response
	}{
		{"greeting with capability code", `* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] localhost ready`,
			Response{Tag: "*", Status: "OK", Keyword: "OK", Code: "CAPABILITY", CodeArgs: []Value{atom("IMAP4rev1"), atom("LITERAL+"), atom("AUTH=PLAIN")}, Text: "localhost ready"}},
		{"tagged NO", `g1 NO Mailbox already exists`,
			Response{Tag: "g1", Status: "NO", Keyword: "NO", Text: "Mailbox already exists"}},
		{"tagged OK without text", `g2 OK`, Response{Tag: "g2", Status: "OK", Keyword: "OK"}},
		{"lower-case status", `g2 ok done`, Response{Tag: "g2", Status: "OK", Keyword: "OK", Text: "done"}},
		{"referral code", `g3 NO [REFERRAL imap://admin;AUTH=*@backend2/user.bob] Remote mailbox`,
			Response{Tag: "g3", Status: "NO", Keyword: "NO", Code: "REFERRAL", CodeArgs: []Value{atom("imap://admin;AUTH=*@backend2/user.bob")}, Text: "Remote mailbox"}},
		{"referral to an IPv6 literal", `g3 NO [REFERRAL imap://[::1]:143/x] go`,
			Response{Tag: "g3", Status: "NO", Keyword: "NO", Code: "REFERRAL", CodeArgs: []Value{atom("imap://[::1]:143/x")}, Text: "go"}},
		{"mailboxid code with a list", `g4 OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed`,
			Response{Tag: "g4", Status: "OK", Keyword: "OK", Code: "MAILBOXID", CodeArgs: []Value{list(atom("F2212ea87-6097-4256-9d51-71338625"))}, Text: "Completed"}},
		{"code without arguments", `* OK [READ-WRITE] selected`,
			Response{Tag: "*", Status: "OK", Keyword: "OK", Code: "READ-WRITE", Text: "selected"}},
		{"permanentflags", `* OK [PERMANENTFLAGS (\Deleted \Seen \*)] Limited`,
			Response{Tag: "*", Status: "OK", Keyword: "OK", Code: "PERMANENTFLAGS", CodeArgs: []Value{list(atom(`\Deleted`), atom(`\Seen`), atom(`\*`))}, Text: "Limited"}},
		{"unterminated code is text", `* OK [ALERT text`, Response{Tag: "*", Status: "OK", Keyword: "OK", Text: "[ALERT text"}},
		{"bye", `* BYE LOGOUT received`, Response{Tag: "*", Status: "BYE", Keyword: "BYE", Text: "LOGOUT received"}},
		{"continuation", `+ Ready for literal data`, Response{Tag: "+", Text: "Ready for literal data"}},
		{"empty continuation", `+`, Response{Tag: "+"}},
		{"acl with empty rights", `* ACL user.bob bob lrswipkxtecdan anyone ""`,
			Response{Tag: "*", Keyword: "ACL", Fields: []Value{atom("user.bob"), atom("bob"), atom("lrswipkxtecdan"), atom("anyone"), str("")}}},
		{"list with quoted name and escapes", `* LIST (\HasNoChildren) "." "user.corpus.My \"Folder\\"`,
			Response{Tag: "*", Keyword: "LIST", Fields: []Value{list(atom(`\HasNoChildren`)), str("."), str(`user.corpus.My "Folder\`)}}},
		{"list with NIL delimiter", `* LIST (\Noselect) NIL ""`,
			Response{Tag: "*", Keyword: "LIST", Fields: []Value{list(atom(`\Noselect`)), nilValue, str("")}}},
		{"list with a literal name", "* LIST () \"/\" {5}\r\nab cd",
			Response{Tag: "*", Keyword: "LIST", Fields: []Value{list(), str("/"), str("ab cd")}}},
		{"literal8 and non-synchronizing literal", "* X ~{3}\r\na\x01b {2+}\r\nzz",
			Response{Tag: "*", Keyword: "X", Fields: []Value{str("a\x01b"), str("zz")}}},
		{"numbered", `* 23 EXISTS`, Response{Tag: "*", Number: 23, Numbered: true, Keyword: "EXISTS"}},
		{"quota", `* QUOTA "User quota" (STORAGE 10 1024 MESSAGE 2 100)`,
			Response{Tag: "*", Keyword: "QUOTA", Fields: []Value{str("User quota"), list(atom("STORAGE"), atom("10"), atom("1024"), atom("MESSAGE"), atom("2"), atom("100"))}}},
		{"namespace", `* NAMESPACE NIL (("user." ".")) (("" "."))`,
			Response{Tag: "*", Keyword: "NAMESPACE", Fields: []Value{nilValue, list(list(str("user."), str("."))), list(list(str(""), str(".")))}}},
		{"metadata with literal in list", "* METADATA \"INBOX\" (/private/comment {12}\r\nhello\r\nworld)",
			Response{Tag: "*", Keyword: "METADATA", Fields: []Value{str("INBOX"), list(atom("/private/comment"), str("hello\r\nworld"))}}},
		{"fetch body section", `* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] NIL)`,
			Response{Tag: "*", Number: 1, Numbered: true, Keyword: "FETCH", Fields: []Value{list(atom("BODY[HEADER.FIELDS (FROM TO)]"), nilValue)}}},
		{"trailing space tolerated", `* SEARCH 1 2 `,
			Response{Tag: "*", Keyword: "SEARCH", Fields: []Value{atom("1"), atom("2")}}},
		{"untagged NO from a Murder XFER", `* NO USER bob (Invalid mailbox name)`,
			Response{Tag: "*", Status: "NO", Keyword: "NO", Text: "USER bob (Invalid mailbox name)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseResponse(%q): %v", tt.in, err)
			}
			tt.want.Raw = tt.in
			if !equalResponse(got, &tt.want) {
				t.Errorf("ParseResponse(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
		})
	}
}

func equalResponse(a, b *Response) bool {
	return a.Tag == b.Tag && a.Status == b.Status && a.Code == b.Code && equalValues(a.CodeArgs, b.CodeArgs) &&
		a.Text == b.Text && a.Number == b.Number && a.Numbered == b.Numbered && a.Keyword == b.Keyword &&
		equalValues(a.Fields, b.Fields) && (a.Err == nil) == (b.Err == nil) && a.Raw == b.Raw
}

func equalValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || a[i].Str != b[i].Str || !equalValues(a[i].List, b[i].List) {
			return false
		}
	}
	return true
}

func TestParseResponseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", ``, "in tag: expected a tag"},
		{"no space after tag", `g1`, "expected a space after the tag"},
		{"tagged data", `g1 ACL x`, "in response-tagged: expected OK, NO or BAD, got ACL"},
		{"no keyword", `* `, "expected a keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResponse([]byte(tt.in))
			var perr *ProtocolError
			if !errors.As(err, &perr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseResponse(%q) = %v, want a ProtocolError containing %q", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseDataErrors checks that malformed data is kept with its error, not fatal.
func TestParseDataErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unterminated quote", `* ACL "user.bob`, "in quoted: missing closing quote"},
		{"unclosed list", `* QUOTA x (STORAGE 1 2`, `in list: missing ")"`},
		{"stray paren", `* QUOTA x STORAGE)`, `in response-data: unexpected ')'`},
		{"literal too short", "* X {10}\r\nabc", "in literal: data shorter than its length 10"},
		{"bad literal length", "* X {1x}\r\na", `in literal: bad length "1x"`},
		{"deep nesting", "* X " + strings.Repeat("(", 100) + strings.Repeat(")", 100), "nested more than 64 deep"},
		{"missing space between items", `* X (a)(b)`, "expected a space between items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseResponse(%q) failed: %v; want the data error kept in Response.Err", tt.in, err)
			}
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) {
				t.Fatalf("Response.Err = %v, want it to contain %q", r.Err, tt.want)
			}
		})
	}
}

// TestParseCorpus parses every server line of the real transcripts without a fatal error
// and without a data error.
func TestParseCorpus(t *testing.T) {
	for _, name := range corpusFiles(t) {
		for _, raw := range corpusResponses(t, name) {
			r, err := ParseResponse(raw)
			if err != nil {
				t.Errorf("%s: %q: %v", name, raw, err)
				continue
			}
			if r.Err != nil {
				t.Errorf("%s: %q: data error %v", name, raw, r.Err)
			}
		}
	}
}

func corpusFiles(t testing.TB) []string {
	files, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".txt") {
			names = append(names, "testdata/corpus/"+f.Name())
		}
	}
	return names
}

// corpusResponses returns the server's responses in a transcript, framed as the client
// frames them.
func corpusResponses(t testing.TB, name string) [][]byte {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var server strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "S: "); ok {
			server.WriteString(rest)
		}
	}
	f := &framer{r: bufio.NewReader(strings.NewReader(server.String())), maxLine: DefaultMaxLine, maxResponse: DefaultMaxResponse}
	var out [][]byte
	for {
		raw, err := f.next()
		if err != nil {
			return out
		}
		out = append(out, append([]byte(nil), raw...))
	}
}
