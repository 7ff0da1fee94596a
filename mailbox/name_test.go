package mailbox

import (
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		want string // a part of the error; "" for none
	}{
		{"user.alice", ""},
		{"user.corpus.My Folder", ""},
		{"Entwürfe/台北", ""},
		{"&", ""},
		{"", "empty"},
		{"a\rb", "(carriage return) at byte 1"},
		{"ab\n", "(line feed) at byte 2"},
		{"\x00", "(NUL) at byte 0"},
		{"a\tb", "(tab) at byte 1"},
		{"a\x1bb", "(U+001B) at byte 1"},
		{"x\x7f", "(DEL) at byte 1"},
		{"ü\u0085", "(U+0085) at byte 2"},
		{"ok\xffok", "not valid UTF-8 at byte 2"},
	}
	for _, tt := range tests {
		err := Validate(tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%q) = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

func TestHasWildcard(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{"user.alice", false},
		{"", false},
		{"user.*", true},
		{"user.%", true},
		{"%", true},
		{"a*b%c", true},
	}
	for _, tt := range tests {
		if got := HasWildcard(tt.pattern); got != tt.want {
			t.Errorf("HasWildcard(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

func TestParent(t *testing.T) {
	tests := []struct {
		name   string
		sep    rune
		parent string
		ok     bool
	}{
		{"user.alice.Sent", '.', "user.alice", true},
		{"user.alice", '.', "user", true},
		{"user", '.', "", false},
		{"Shared/My Folder", '/', "Shared", true},
		{"Shared/My Folder", '.', "", false},
		{"a.b.", '.', "a.b", true},
		{".hidden", '.', "", false},
		{"", '.', "", false},
		{"a.b", 0, "", false},
		{"台北→日本", '→', "台北", true},
	}
	for _, tt := range tests {
		parent, ok := Parent(tt.name, tt.sep)
		if parent != tt.parent || ok != tt.ok {
			t.Errorf("Parent(%q, %q) = %q, %v; want %q, %v", tt.name, tt.sep, parent, ok, tt.parent, tt.ok)
		}
	}
}

func TestSortForDelete(t *testing.T) {
	tests := []struct {
		names []string
		sep   rune
		want  []string
	}{
		{nil, '.', []string{}},
		{
			[]string{"user.a", "user.a.b", "user.a.b.c", "user.b", "user.a.c"},
			'.',
			[]string{"user.a.b.c", "user.a.c", "user.a.b", "user.b", "user.a"},
		},
		{
			[]string{"Shared", "Shared/My Folder", "Entwürfe", "INBOX"},
			'/',
			[]string{"Shared/My Folder", "Shared", "INBOX", "Entwürfe"},
		},
		{
			[]string{"b", "a", "c"},
			0,
			[]string{"c", "b", "a"},
		},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.names)
		got := SortForDelete(tt.names, tt.sep)
		if !slices.Equal(got, tt.want) {
			t.Errorf("SortForDelete(%q, %q) = %q, want %q", tt.names, tt.sep, got, tt.want)
		}
		if !slices.Equal(tt.names, in) {
			t.Errorf("SortForDelete(%q, %q) changed its argument", in, tt.sep)
		}
	}
}

func TestSortForDeleteChildrenFirst(t *testing.T) {
	names := []string{"a", "a.b", "a.b.c", "a.bc", "ab", "ab.c", "a.b.c.d", "z", "a.z.z.z.z"}
	got := SortForDelete(names, '.')
	for i, name := range got {
		if parent, ok := Parent(name, '.'); ok && slices.Contains(got[:i], parent) {
			t.Errorf("SortForDelete(%q) = %q: %q comes before its child %q", names, got, parent, name)
		}
	}
	slices.Reverse(names)
	if again := SortForDelete(names, '.'); !slices.Equal(again, got) {
		t.Errorf("SortForDelete depends on the input order: %q, then %q", got, again)
	}
}
