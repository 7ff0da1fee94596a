package acl

import "strings"

// Letters holds every rights letter gocyradm accepts: those of RFC 4314, Cyrus's n, the legacy
// c and d of RFC 2086, and the user-defined digits.
const Letters = "lrswipkxtean" + "cd" + "0123456789"

// meanings gives each letter of Letters, bar the digits, in words.
var meanings = map[rune]string{
	'l': "lookup: see the mailbox in LIST and subscribe to it",
	'r': "read: select the mailbox, read its messages and status",
	's': `keep seen: keep the \Seen flag across sessions`,
	'w': `write: set flags other than \Seen and \Deleted`,
	'i': "insert: append or copy messages into the mailbox",
	'p': "post: send mail to the mailbox's submission address",
	'k': "create: create child mailboxes, rename mailboxes into it",
	'x': "delete mailbox: delete the mailbox or rename it away",
	't': `delete messages: set or clear the \Deleted flag`,
	'e': `expunge: remove messages flagged \Deleted`,
	'a': "administer: read and change the ACL",
	'n': "annotate: write shared annotations and metadata (Cyrus)",
	'c': "create (legacy, RFC 2086): the same as k and x",
	'd': "delete (legacy, RFC 2086): the same as t and e",
}

// Describe returns the meaning of a rights letter in words, such as "lookup: see the mailbox in
// LIST and subscribe to it" for 'l', or "" when letter is not in Letters.
func Describe(letter rune) string {
	if '0' <= letter && letter <= '9' {
		return "user-defined right " + string(letter) + ": its meaning is set by the site"
	}
	return meanings[letter]
}

// Explain returns one phrase per letter of rights, in the string's order, as Describe gives it;
// a letter that is not a right (a server may send anything) is explained as "unknown right".
func Explain(rights string) []string {
	phrases := make([]string, 0, len(rights))
	for _, r := range rights {
		phrase := Describe(r)
		if phrase == "" {
			phrase = "unknown right"
		}
		phrases = append(phrases, phrase)
	}
	return phrases
}

// named lists the sets of rights cyradm expands on the client, in the order Names gives them.
var named = []struct{ name, rights string }{
	{"none", ""},
	{"read", "lrs"},
	{"post", "lrsp"},
	{"append", "lrsip"},
	{"write", "lrswipkxte"},
	{"delete", "lrxte"},
	{"all", "lrswipkxtea"},
}

// Named returns the letters of a named set of rights, ignoring case: "read" gives "lrs", and
// "none" gives "" (which means: remove the entry).
func Named(name string) (string, bool) {
	for _, n := range named {
		if strings.EqualFold(n.name, name) {
			return n.rights, true
		}
	}
	return "", false
}

// Names returns the names of the named sets, always in the same order: none, read, post,
// append, write, delete, all.
func Names() []string {
	names := make([]string, len(named))
	for i, n := range named {
		names[i] = n.name
	}
	return names
}
