package completion

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/c-bata/go-prompt"
	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/admin"
)

// testCache returns a cache filled by hand, with no connection and no refresher.
func testCache() *Cache {
	return &Cache{
		names: []string{"INBOX", "shared", "shared.news", "user.alice", "user.alice.Sent", "user.alice.my folder", "user.bob"},
		acl: map[string]acl.List{
			"user.alice": {{ID: "alice", Rights: "lrswipkxtea"}, {ID: "bob", Rights: "lrs"}, {ID: "anyone", Rights: "p"}},
		},
		resources: []string{"STORAGE", "MESSAGE"},
	}
}

// complete returns the texts of the suggestions for line, the cursor at its end.
func complete(c *Completer, line string) []string {
	var texts []string
	for _, s := range c.Complete(document(line)) {
		texts = append(texts, s.Text)
	}
	return texts
}

// document returns line as go-prompt hands it to a completer, the cursor at its end.
func document(line string) prompt.Document {
	b := prompt.NewBuffer()
	b.InsertText(line, false, true)
	return *b.Document()
}

// inDir makes a folder with files for file-name completion the working directory.
func inDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"out.txt", "my file.txt", "sub/cmds.txt", ".hidden"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

var completeTests = []struct {
	line string
	want []string // nil: no suggestions; a leading "~" marks a list that need only contain the rest
}{
	// verbs and aliases
	{"", nil},
	{"listac", []string{"listacl", "listaclmailbox"}},
	{"LISTAC", []string{"listacl", "listaclmailbox"}},
	{"cre", []string{"create", "createmailbox"}},
	{"he", []string{"help"}},
	{"nosuchverb ", nil},
	{"nosuchverb x", nil},
	{"help cre", []string{"create", "createmailbox"}},
	{"lm; cre", []string{"create", "createmailbox"}},
	// options
	{"cm -", []string{"--partition", "--specialuse", "--server"}},
	{"cm --p", []string{"--partition"}},
	{"cm -part", []string{"--partition"}},
	{"cm --partition ", nil},
	{"cm --partition p1 user.b", []string{"user.bob"}},
	{"cm -- -", nil},
	{"cm user.x -", nil},
	// mailboxes
	{"lam sh", []string{"shared", "shared.news"}},
	{"lam user.alice.", []string{"user.alice.Sent", "'user.alice.my folder'"}},
	{"lam 'user.alice.m", []string{"'user.alice.my folder'"}},
	{"lam 'user.alice.my f", []string{"folder'"}},
	{`lam "user.alice.my f`, []string{`folder"`}},
	{`lam user.alice.my\ f`, []string{"folder"}},
	{"lam user.alice.my\\", nil},
	{"lam x", nil},
	{"renm user.bob user.b", []string{"user.bob"}},
	{"renm user.bob user.bob2 user.b", nil},
	{"whoami ", nil},
	// identifiers, from the ACL of the mailbox on the line, then the fixed ones
	{"sam user.alice ", []string{"alice", "bob", "anyone", "anonymous", "group:"}},
	{"sam user.alice b", []string{"bob"}},
	{"sam user.alice -b", []string{"-bob"}},
	{"sam user.alice an", []string{"anyone", "anonymous"}},
	{"sam user.* a", []string{"anyone", "anonymous"}},
	{"sam user.bob a", []string{"anyone", "anonymous"}},
	{"listrights user.alice a", []string{"alice", "anyone", "anonymous"}},
	{"listrights user.alice alice x", nil},
	{"dam user.alice bob a", []string{"alice", "anyone", "anonymous"}},
	// rights, and the ID RIGHTS pairs that repeat
	{"sam user.alice bob wri", []string{"write", "wril", "wris", "wrip", "wrik", "wrix", "writ", "wrie", "wria", "wrin", "wric", "wrid", "wri0", "wri1", "wri2", "wri3", "wri4", "wri5", "wri6", "wri7", "wri8", "wri9"}},
	{"sam user.alice bob rea", []string{"~", "read", "real"}},
	{"sam user.alice bob wrz", nil},
	{"sam user.alice bob ", []string{"~", "none", "read", "all", "l", "r", "a", "0"}},
	{"sam user.alice bob lrswipkxtean", []string{"lrswipkxteanc", "lrswipkxteand", "lrswipkxtean0", "lrswipkxtean1", "lrswipkxtean2", "lrswipkxtean3", "lrswipkxtean4", "lrswipkxtean5", "lrswipkxtean6", "lrswipkxtean7", "lrswipkxtean8", "lrswipkxtean9"}},
	{"sam user.alice bob +lrswipkxtean0123456789cd", nil},
	{"sam user.alice bob -lrswipkxtean0123456789c", []string{"-lrswipkxtean0123456789cd"}},
	{"sam user.alice bob Q", nil},
	{"sam user.alice bob lrs an", []string{"anyone", "anonymous"}},
	{"sam user.alice bob lrs anyone writ", []string{"~", "write"}},
	// files, after > and >> and for file arguments
	{"lm > ", []string{"'my file.txt'", "out.txt", "sub/"}},
	{"lm >> o", []string{"out.txt"}},
	{"lm>o", []string{"lm>out.txt"}},
	{"lm > m", []string{"'my file.txt'"}},
	{"lm > 'my f", []string{"file.txt'"}},
	{"lm > sub/", []string{"sub/cmds.txt"}},
	{"lm > .h", []string{".hidden"}},
	{"lm > out.txt user.b", []string{"user.bob"}},
	{"cd s", []string{"sub/"}},
	{"auth --cafile o", []string{"out.txt"}},
	// nothing to complete
	{"lm | gr", nil},
	{"!ls ", nil},
	{"lm # us", nil},
}

// TestComplete completes many partial lines, with a cache filled by the test.
func TestComplete(t *testing.T) {
	inDir(t)
	c := New(testCache())
	for _, tt := range completeTests {
		got := complete(c, tt.line)
		if len(tt.want) > 0 && tt.want[0] == "~" {
			for _, w := range tt.want[1:] {
				if !slices.Contains(got, w) {
					t.Errorf("%q: %q lacks %q", tt.line, got, w)
				}
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestCompleteKinds completes the argument kinds of verbs made up for the test, so that
// every kind is covered whatever verbs the table holds.
func TestCompleteKinds(t *testing.T) {
	quotaVerb := &admin.Verb{Name: "setquota", Args: []admin.ArgKind{admin.ArgMailbox, admin.ArgResource, admin.ArgText}, MaxArgs: -1}
	metadataVerb := &admin.Verb{Name: "getmetadata", Args: []admin.ArgKind{admin.ArgPattern, admin.ArgMetadata}, MaxArgs: -1}
	tests := []struct {
		verb *admin.Verb
		line string
		want []string
	}{
		{quotaVerb, "setquota user.bob ", []string{"STORAGE", "MESSAGE"}},
		{quotaVerb, "setquota user.bob st", []string{"STORAGE"}},
		{quotaVerb, "setquota user.bob STORAGE ", nil},
		{quotaVerb, "setquota user.bob STORAGE 100 m", []string{"MESSAGE"}},
		{metadataVerb, "getmetadata user.bob s", []string{"sharedseen", "sieve", "squat", "shutdown"}},
		{metadataVerb, "getmetadata user.bob comment e", []string{"expire"}},
		{metadataVerb, "getmetadata user.bob /p", []string{"/private/", "/private/comment", "/private/vendor/cmu/cyrus-imapd/expire",
			"/private/vendor/cmu/cyrus-imapd/news2mail", "/private/vendor/cmu/cyrus-imapd/sharedseen", "/private/vendor/cmu/cyrus-imapd/sieve",
			"/private/vendor/cmu/cyrus-imapd/squat", "/private/vendor/cmu/cyrus-imapd/pop3showafter"}},
		{metadataVerb, "getmetadata user.bob /shared/m", []string{"/shared/motd"}},
	}
	c := New(testCache())
	for _, tt := range tests {
		st := readStatement(tt.line)
		var got []string
		for _, s := range c.arguments(&st, tt.verb, st.words[1:]) {
			got = append(got, s.Text)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestDescriptions checks that suggestions say what they are.
func TestDescriptions(t *testing.T) {
	c := New(testCache())
	tests := []struct{ line, text, desc string }{
		{"listac", "listacl", admin.Lookup("listacl").Help},
		{"cm --p", "--partition", "the Cyrus partition to create it on"},
		{"sam user.alice b", "bob", "lrs on user.alice"},
		{"sam user.alice bob l", "lk", acl.Describe('k')},
		{"sam user.alice bob r", "read", "the rights lrs"},
	}
	for _, tt := range tests {
		found := false
		for _, s := range c.Complete(document(tt.line)) {
			if s.Text == tt.text {
				found = true
				if s.Description != tt.desc {
					t.Errorf("%q: %s is described %q, want %q", tt.line, s.Text, s.Description, tt.desc)
				}
			}
		}
		if !found {
			t.Errorf("%q: no suggestion %q", tt.line, tt.text)
		}
	}
}

// TestMailboxLimit checks that a huge cache offers a bounded list.
func TestMailboxLimit(t *testing.T) {
	k := &Cache{acl: map[string]acl.List{}}
	for i := range 20000 {
		k.names = append(k.names, fmt.Sprintf("user.u%05d", i))
	}
	c := New(k)
	if got := len(complete(c, "lam user.")); got != maxMailboxes {
		t.Errorf("got %d suggestions, want %d", got, maxMailboxes)
	}
	if got := complete(c, "lam user.u1999"); len(got) != 10 {
		t.Errorf("user.u1999: got %d suggestions, want 10", len(got))
	}
}

// TestStableList checks that the list for the same text never shrinks, so that the
// suggestion go-prompt has selected stays there while the cache changes.
func TestStableList(t *testing.T) {
	k := testCache()
	c := New(k)
	before := complete(c, "lam user.")
	k.mu.Lock()
	k.names = []string{"user.alice"}
	k.mu.Unlock()
	if got := complete(c, "lam user."); !slices.Equal(got, before) {
		t.Errorf("same text: got %q, want the earlier %q", got, before)
	}
	if got := complete(c, "lam user.a"); !slices.Equal(got, []string{"user.alice"}) {
		t.Errorf("new text: got %q, want the new names", got)
	}
}
