package acl

import (
	"strings"
	"testing"
)

func TestParseChange(t *testing.T) {
	tests := []struct {
		in   string
		want Change
		wire string
	}{
		{"lrs", Change{Replace, "lrs"}, "lrs"},
		{"+lrs", Change{Add, "lrs"}, "+lrs"},
		{"-lrs", Change{Remove, "lrs"}, "-lrs"},
		{"none", Change{Replace, ""}, ""},
		{"NONE", Change{Replace, ""}, ""},
		{"read", Change{Replace, "lrs"}, "lrs"},
		{"post", Change{Replace, "lrsp"}, "lrsp"},
		{"append", Change{Replace, "lrsip"}, "lrsip"},
		{"write", Change{Replace, "lrswipkxte"}, "lrswipkxte"},
		{"delete", Change{Replace, "lrxte"}, "lrxte"},
		{"all", Change{Replace, "lrswipkxtea"}, "lrswipkxtea"},
		{"All", Change{Replace, "lrswipkxtea"}, "lrswipkxtea"},
		{"+read", Change{Add, "lrs"}, "+lrs"},
		{"-write", Change{Remove, "lrswipkxte"}, "-lrswipkxte"},
		{"lrswipkxtecdan", Change{Replace, "lrswipkxtecdan"}, "lrswipkxtecdan"}, // Cyrus 3.6.1 GETACL
		{"lrwstipekxacd", Change{Replace, "lrwstipekxacd"}, "lrwstipekxacd"},    // Dovecot 2.3.19 GETACL
		{"lrsrl", Change{Replace, "lrs"}, "lrs"},
		{"+aa", Change{Add, "a"}, "+a"},
		{"0123456789", Change{Replace, "0123456789"}, "0123456789"},
		{"x", Change{Replace, "x"}, "x"},
	}
	for _, tt := range tests {
		got, err := ParseChange(tt.in)
		if err != nil || got != tt.want || got.Wire() != tt.wire {
			t.Errorf("ParseChange(%q) = %+v (wire %q), %v; want %+v (wire %q)", tt.in, got, got.Wire(), err, tt.want, tt.wire)
		}
	}
}

func TestParseChangeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `give "none" or use deleteacl`},
		{"lrsZ", `unknown right "Z" in "lrsZ": rights are letters from lrswipkxtean, c, d and 0-9, or one of none, read, post, append, write, delete, all`},
		{"LRS", `unknown right "L" in "LRS"`},
		{"+lrsü", `unknown right "ü" in "+lrsü"`},
		{"--lrs", `unknown right "-" in "--lrs"`},
		{"+-l", `unknown right "-" in "+-l"`},
		{"l rs", `unknown right " " in "l rs"`},
		{"+post", ""}, // named after + is fine
		{"+", `"+" changes no rights: give letters or a named set after "+", such as "+lrs"`},
		{"-", `"-" changes no rights`},
		{"+none", `"+none" changes no rights`},
		{"-None", `"-None" changes no rights`},
	}
	for _, tt := range tests {
		got, err := ParseChange(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ParseChange(%q) = %v, want no error", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseChange(%q) = %+v, %v; want an error with %q", tt.in, got, err, tt.want)
		}
	}
}

func TestChangeIsNone(t *testing.T) {
	tests := []struct {
		c    Change
		want bool
	}{
		{Change{Replace, ""}, true},
		{Change{}, true},
		{Change{Replace, "l"}, false},
		{Change{Add, ""}, false},
		{Change{Remove, ""}, false},
	}
	for _, tt := range tests {
		if got := tt.c.IsNone(); got != tt.want {
			t.Errorf("%+v.IsNone() = %v, want %v", tt.c, got, tt.want)
		}
	}
}

func FuzzParseChange(f *testing.F) {
	for _, s := range []string{"lrs", "+lrs", "-lrs", "none", "all", "+read", "lrsZ", "", "+", "lrswipkxtecdan0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChange(s)
		if err != nil {
			return
		}
		wire := c.Wire()
		for i, r := range wire {
			if !strings.ContainsRune(Letters, r) && !(i == 0 && (r == '+' || r == '-')) {
				t.Fatalf("ParseChange(%q).Wire() = %q: %q at byte %d is not a right", s, wire, r, i)
			}
		}
		if c.Op != Replace && c.Rights == "" {
			t.Fatalf("ParseChange(%q) = %+v: a change that changes nothing", s, c)
		}
		for i, r := range c.Rights {
			if strings.ContainsRune(c.Rights[:i], r) {
				t.Fatalf("ParseChange(%q) = %+v: %q repeated", s, c, r)
			}
		}
	})
}
