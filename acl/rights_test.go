package acl

import (
	"slices"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		letter rune
		want   string // the start of the meaning; "" for none
	}{
		{'l', "lookup: see the mailbox in LIST"},
		{'r', "read:"},
		{'s', "keep seen:"},
		{'w', "write:"},
		{'i', "insert:"},
		{'p', "post:"},
		{'k', "create:"},
		{'x', "delete mailbox:"},
		{'t', "delete messages:"},
		{'e', "expunge:"},
		{'a', "administer:"},
		{'n', "annotate:"},
		{'c', "create (legacy, RFC 2086): the same as k and x"},
		{'d', "delete (legacy, RFC 2086): the same as t and e"},
		{'0', "user-defined right 0:"},
		{'9', "user-defined right 9:"},
		{'Z', ""},
		{'L', ""},
		{'+', ""},
		{'ü', ""},
	}
	for _, tt := range tests {
		got := Describe(tt.letter)
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("Describe(%q) = %q, want it to start with %q", tt.letter, got, tt.want)
		}
	}
}

func TestDescribeEveryLetter(t *testing.T) {
	for _, r := range Letters {
		if Describe(r) == "" {
			t.Errorf("Describe(%q) = \"\", but %q is in Letters", r, r)
		}
	}
	if n := len(meanings) + len("0123456789"); n != len(Letters) {
		t.Errorf("Describe knows %d letters, Letters has %d", n, len(Letters))
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		rights string
		want   []string // the start of each phrase
	}{
		{"", []string{}},
		{"lrs", []string{"lookup", "read", "keep seen"}},
		{"srl", []string{"keep seen", "read", "lookup"}},
		{"cd", []string{"create (legacy", "delete (legacy"}},
		{"lZ7", []string{"lookup", "unknown right", "user-defined right 7"}},
		{"lrswipkxtecdan", []string{"lookup", "read", "keep seen", "write", "insert", "post", "create",
			"delete mailbox", "delete messages", "expunge", "create (legacy", "delete (legacy", "administer",
			"annotate"}}, // Cyrus 3.6.1 GETACL
	}
	for _, tt := range tests {
		got := Explain(tt.rights)
		ok := len(got) == len(tt.want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], tt.want[i])
		}
		if !ok {
			t.Errorf("Explain(%q) = %q, want phrases starting %q", tt.rights, got, tt.want)
		}
	}
}

func TestNamed(t *testing.T) {
	tests := []struct {
		name   string
		rights string
		ok     bool
	}{
		{"none", "", true},
		{"read", "lrs", true},
		{"post", "lrsp", true},
		{"append", "lrsip", true},
		{"write", "lrswipkxte", true},
		{"delete", "lrxte", true},
		{"all", "lrswipkxtea", true},
		{"ALL", "lrswipkxtea", true},
		{"Read", "lrs", true},
		{"lrs", "", false},
		{"", "", false},
		{"+read", "", false},
		{"reads", "", false},
	}
	for _, tt := range tests {
		rights, ok := Named(tt.name)
		if rights != tt.rights || ok != tt.ok {
			t.Errorf("Named(%q) = %q, %v; want %q, %v", tt.name, rights, ok, tt.rights, tt.ok)
		}
	}
}

func TestNames(t *testing.T) {
	want := []string{"none", "read", "post", "append", "write", "delete", "all"}
	got := Names()
	if !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Names()[0] != "none" {
		t.Error("Names() shares its slice with callers")
	}
	for _, name := range got[1:] {
		rights, _ := Named(name)
		for _, r := range rights {
			if !strings.ContainsRune(Letters, r) {
				t.Errorf("named set %q holds %q, which is not in Letters", name, r)
			}
		}
	}
}
