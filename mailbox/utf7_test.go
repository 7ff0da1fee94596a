package mailbox

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// utf7Pairs are names in UTF-8 and modified UTF-7, good both ways.
var utf7Pairs = []struct{ utf8, utf7 string }{
	{"", ""},
	{"INBOX", "INBOX"},
	{"My Folder", "My Folder"},
	{"&", "&-"},
	{"a&b&&", "a&-b&-&-"},
	{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, // RFC 3501 §5.1.3
	{"台北日本語", "&U,BTF2XlZyyKng-"},                             // RFC 3501 §5.1.3
	{"☺!", "&Jjo-!"},                                          // RFC 3501 §5.1.3
	{"user.corpus.Entwürfe", "user.corpus.Entw&APw-rfe"},      // Cyrus 3.6.1 LIST
	{"😀", "&2D3eAA-"},                                         // surrogate pair
	{"ä€𝄞", "&AOQgrNg03R4-"},
	{"ééé", "&AOkA6QDp-"},
	{"ÿĀ", "&AP8BAA-"},
	{"ü&ü", "&APw-&-&APw-"},
	{"&ü", "&-&APw-"},
	{"üaü", "&APw-a&APw-"},
	{"a\nb", "a&AAo-b"},
	{"\x00", "&AAA-"},
	{"\x7f", "&AH8-"},
	{"\ufffd", "&,,0-"},
}

func TestEncodeUTF7(t *testing.T) {
	for _, tt := range utf7Pairs {
		got, err := EncodeUTF7(tt.utf8)
		if err != nil || got != tt.utf7 {
			t.Errorf("EncodeUTF7(%q) = %q, %v; want %q", tt.utf8, got, err, tt.utf7)
		}
	}
}

func TestEncodeUTF7Invalid(t *testing.T) {
	for _, in := range []string{"\xff", "a\xc3", "\xed\xa0\x80", "ok\x80ok"} {
		got, err := EncodeUTF7(in)
		if err == nil {
			t.Errorf("EncodeUTF7(%q) = %q, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "not valid UTF-8") {
			t.Errorf("EncodeUTF7(%q) error %q does not say what is wrong", in, err)
		}
	}
}

func TestDecodeUTF7(t *testing.T) {
	for _, tt := range utf7Pairs {
		got, err := DecodeUTF7(tt.utf7)
		if err != nil || got != tt.utf8 {
			t.Errorf("DecodeUTF7(%q) = %q, %v; want %q", tt.utf7, got, err, tt.utf8)
		}
	}
}

func TestDecodeUTF7Invalid(t *testing.T) {
	tests := []struct{ in, why string }{
		{"&Jjo!", `no closing "-"`}, // RFC 3501 §5.1.3
		{"&", `no closing "-"`},
		{"a&APw", `no closing "-"`},
		{"&U,BTFw-&ZeVnLIqe-", "directly after another"}, // RFC 3501 §5.1.3
		{"&APw-&APw-", "directly after another"},
		{"&AGE-", "printable ASCII"},
		{"&ACY-", "printable ASCII"}, // "&" itself must be "&-"
		{"&AOQAYQ-", "printable ASCII"},
		{"&AB-", "bad base64"}, // stray bits after the last byte
		{"&AP,-", "bad base64"},
		{"&AP/-", "bad base64"},
		{"&AP=-", "bad base64"},
		{"&A-", "bad base64"},
		{"&AA-", "odd number of bytes"},
		{"&AOQA-", "odd number of bytes"},
		{"&2D0-", "unpaired surrogate U+D83D"},
		{"&3gA-", "unpaired surrogate U+DE00"},
		{"&2D0AQQ-", "unpaired surrogate U+D83D"},
		{"&2D3YPQ-", "unpaired surrogate U+D83D"},
		{"a\tb", "byte 0x09"},
		{"a\r\nb", "byte 0x0d"},
		{"Entwürfe", "byte 0xc3"},
		{"\x7f", "byte 0x7f"},
		{"&AP\nw-", "byte 0x0a"},
	}
	for _, tt := range tests {
		got, err := DecodeUTF7(tt.in)
		if err == nil {
			t.Errorf("DecodeUTF7(%q) = %q, want an error about %s", tt.in, got, tt.why)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.why) || !strings.Contains(msg, strconv.Quote(tt.in)) {
			t.Errorf("DecodeUTF7(%q) error %q: want it to name the name and say %q", tt.in, msg, tt.why)
		}
	}
}

func FuzzUTF7RoundTrip(f *testing.F) {
	for _, tt := range utf7Pairs {
		f.Add(tt.utf8)
	}
	f.Fuzz(func(t *testing.T, name string) {
		enc, err := EncodeUTF7(name)
		if !utf8.ValidString(name) {
			if err == nil {
				t.Fatalf("EncodeUTF7(%q) accepted invalid UTF-8", name)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeUTF7(%q): %v", name, err)
		}
		for i := 0; i < len(enc); i++ {
			if !printable(enc[i]) {
				t.Fatalf("EncodeUTF7(%q) = %q: byte %d is not printable ASCII", name, enc, i)
			}
		}
		dec, err := DecodeUTF7(enc)
		if err != nil || dec != name {
			t.Fatalf("DecodeUTF7(EncodeUTF7(%q)) = %q, %v", name, dec, err)
		}
	})
}

func FuzzDecodeUTF7(f *testing.F) {
	for _, tt := range utf7Pairs {
		f.Add(tt.utf7)
	}
	f.Add("&U,BTFw-&ZeVnLIqe-")
	f.Add("&2D0-")
	f.Fuzz(func(t *testing.T, wire string) {
		dec, err := DecodeUTF7(wire)
		if err != nil {
			return
		}
		enc, err := EncodeUTF7(dec)
		if err != nil || enc != wire {
			t.Fatalf("EncodeUTF7(DecodeUTF7(%q) = %q) = %q, %v", wire, dec, enc, err)
		}
	})
}
