package mailbox

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// b64 is the modified base64 of RFC 3501 §5.1.3: "," instead of "/", no padding, and (Strict)
// no stray bits after the last whole byte.
var b64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding).Strict()

// printable reports whether c stands for itself in modified UTF-7.
func printable(c byte) bool { return c >= 0x20 && c <= 0x7e }

// EncodeUTF7 converts a UTF-8 mailbox name to modified UTF-7 (RFC 3501 §5.1.3), as it goes on
// the wire. Printable ASCII stands for itself except "&", which becomes "&-"; every other run of
// characters becomes "&", the modified base64 of its UTF-16BE form, and "-". It fails only when
// name is not valid UTF-8.
func EncodeUTF7(name string) (string, error) {
	if i := invalidUTF8At(name); i >= 0 {
		return "", fmt.Errorf("mailbox name %q is not valid UTF-8 at byte %d: type names in UTF-8", name, i)
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		if c := name[i]; printable(c) {
			b.WriteByte(c)
			if c == '&' {
				b.WriteByte('-')
			}
			i++
			continue
		}
		j := i + 1
		for j < len(name) && !printable(name[j]) {
			j++
		}
		b.WriteByte('&')
		b.WriteString(b64.EncodeToString(utf16BE(name[i:j])))
		b.WriteByte('-')
		i = j
	}
	return b.String(), nil
}

// utf16BE returns s in UTF-16, big-endian, with surrogate pairs.
func utf16BE(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// DecodeUTF7 converts a modified UTF-7 mailbox name (as a server sends it) to UTF-8. It is
// strict, so that decoding and encoding again always gives back the same bytes: it refuses
// bytes outside 0x20–0x7e, an "&" with no closing "-", bad or non-canonical base64, an odd
// number of bytes, unpaired surrogates, encoded printable ASCII, and two encoded runs in a row.
func DecodeUTF7(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		if !printable(name[i]) {
			return "", utf7Error(name, i, "byte 0x%02x is not printable ASCII", name[i])
		}
	}
	var b strings.Builder
	lastRun := -2 // the index of the "-" that closed the last non-empty encoded run
	for i := 0; i < len(name); i++ {
		if name[i] != '&' {
			b.WriteByte(name[i])
			continue
		}
		n := strings.IndexByte(name[i+1:], '-')
		if n < 0 {
			return "", utf7Error(name, i, `"&" has no closing "-"`)
		}
		end := i + 1 + n
		switch run := name[i+1 : end]; {
		case run == "":
			b.WriteByte('&')
		case lastRun == i-1:
			return "", utf7Error(name, i, "an encoded run directly after another must be joined to it")
		default:
			s, err := decodeRun(run)
			if err != nil {
				return "", utf7Error(name, i, "%v", err)
			}
			b.WriteString(s)
			lastRun = end
		}
		i = end
	}
	return b.String(), nil
}

// decodeRun decodes the modified base64 between "&" and "-".
func decodeRun(run string) (string, error) {
	raw, err := b64.DecodeString(run)
	if err != nil {
		return "", fmt.Errorf("bad base64 %q", run)
	}
	if len(raw)%2 != 0 {
		return "", fmt.Errorf("%q decodes to an odd number of bytes", run)
	}
	units := make([]uint16, len(raw)/2)
	for k := range units {
		units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
	}
	var b strings.Builder
	for k := 0; k < len(units); k++ {
		r := rune(units[k])
		switch {
		case utf16.IsSurrogate(r):
			var ok bool
			if r, ok = surrogatePair(units, k); !ok {
				return "", fmt.Errorf("%q holds an unpaired surrogate U+%04X", run, units[k])
			}
			k++
		case r < 0x80 && printable(byte(r)):
			return "", fmt.Errorf("%q encodes printable ASCII %q, which must be written as is", run, r)
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// surrogatePair decodes the surrogate pair that starts at units[k], if it is one.
func surrogatePair(units []uint16, k int) (rune, bool) {
	if k+1 == len(units) {
		return 0, false
	}
	r := utf16.DecodeRune(rune(units[k]), rune(units[k+1]))
	return r, r != utf8.RuneError
}

// utf7Error describes what is wrong at byte offset at of the modified UTF-7 name.
func utf7Error(name string, at int, format string, args ...any) error {
	return fmt.Errorf("mailbox name %q is not valid modified UTF-7 at byte %d: %s", name, at, fmt.Sprintf(format, args...))
}
