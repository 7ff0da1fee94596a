package acl

import (
	"slices"
	"strings"
	"testing"
)

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		id       string
		negative bool
		positive string
	}{
		{"bob", false, "bob"},
		{"-bob", true, "bob"},
		{"--bob", true, "-bob"},
		{"-", true, ""},
		{"", false, ""},
		{"group:staff", false, "group:staff"},
		{"-group:staff", true, "group:staff"},
		{"anyone", false, "anyone"},
		{"alice@example.com", false, "alice@example.com"},
		{"Jane Doe", false, "Jane Doe"},
	}
	for _, tt := range tests {
		if got := IsNegative(tt.id); got != tt.negative {
			t.Errorf("IsNegative(%q) = %v, want %v", tt.id, got, tt.negative)
		}
		if got := Positive(tt.id); got != tt.positive {
			t.Errorf("Positive(%q) = %q, want %q", tt.id, got, tt.positive)
		}
	}
}

func TestValidateIdentifier(t *testing.T) {
	tests := []struct{ id, want string }{
		{"bob", ""},
		{"-bob", ""},
		{"Jane Doe", ""},
		{"group:staff", ""},
		{"anonymous", ""},
		{"alice@example.com", ""},
		{"", `identifier "" names no one`},
		{"-", `identifier "-" names no one`},
		{"bob\r\nA1 DELETE user.bob", `holds '\r' at byte 3`},
		{"bob\n", `holds '\n' at byte 3`},
		{"b\x00b", `holds '\x00' at byte 1`},
	}
	for _, tt := range tests {
		err := ValidateIdentifier(tt.id)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidateIdentifier(%q) = %v, want nil", tt.id, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidateIdentifier(%q) = %v, want an error with %q", tt.id, err, tt.want)
		}
	}
}

func TestListSorted(t *testing.T) {
	tests := []struct{ in, want List }{
		{nil, nil},
		{
			List{{"corpus", "lrswipkxtecdan"}, {"bob", "lrs"}}, // Cyrus 3.6.1 GETACL
			List{{"bob", "lrs"}, {"corpus", "lrswipkxtecdan"}},
		},
		{
			List{{"bob", "lrs"}, {"-bob", "w"}, {"anyone", "l"}, {"admin", "a"}, {"bob", "x"}},
			List{{"-bob", "w"}, {"admin", "a"}, {"anyone", "l"}, {"bob", "lrs"}, {"bob", "x"}},
		},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if got := tt.in.Sorted(); !slices.Equal(got, tt.want) {
			t.Errorf("%v.Sorted() = %v, want %v", tt.in, got, tt.want)
		}
		if !slices.Equal(tt.in, in) {
			t.Errorf("Sorted changed its receiver %v", in)
		}
	}
}
