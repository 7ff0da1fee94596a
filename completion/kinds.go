package completion

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/c-bata/go-prompt"
	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/admin"
)

// maxMailboxes is the most mailbox names offered at once: with more, the user types on.
const maxMailboxes = 500

// candidate is a value the word under the cursor may become, and what it means.
type candidate struct {
	value, desc string
}

// offer returns the candidates that begin with the word under the cursor, ignoring
// case if fold, as suggestions that complete it.
func (st *statement) offer(cands []candidate, fold bool) []prompt.Suggest {
	typed := st.cur.value
	var out []prompt.Suggest
	for _, c := range cands {
		if strings.HasPrefix(c.value, typed) || fold && strings.HasPrefix(strings.ToLower(c.value), strings.ToLower(typed)) {
			out = append(out, prompt.Suggest{Text: st.replacement(c.value), Description: c.desc})
		}
	}
	return out
}

// verbs offers the verbs and their aliases, with their one-line help.
func (st *statement) verbs() []prompt.Suggest {
	var cands []candidate
	for _, v := range admin.Verbs() {
		for _, name := range append([]string{v.Name}, v.Aliases...) {
			cands = append(cands, candidate{name, v.Help})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].value < cands[j].value })
	return st.offer(cands, true)
}

// options offers v's options, written --name, with their help.
func (st *statement) options(v *admin.Verb) []prompt.Suggest {
	typed := strings.TrimLeft(st.cur.value, "-")
	var out []prompt.Suggest
	for _, o := range v.Options {
		if strings.HasPrefix(o.Name, typed) {
			out = append(out, prompt.Suggest{Text: st.replacement("--" + o.Name), Description: o.Help})
		}
	}
	return out
}

// optionValue offers file names for an option whose value is a file or a folder.
func (st *statement) optionValue(o *admin.Option) []prompt.Suggest {
	if o.Value == "FILE" || o.Value == "DIR" {
		return st.files()
	}
	return nil
}

// mailboxes offers the names, which are sorted, that begin with the word under the
// cursor: at most maxMailboxes of them.
func (st *statement) mailboxes(names []string) []prompt.Suggest {
	typed := st.cur.value
	var cands []candidate
	for i := sort.SearchStrings(names, typed); i < len(names) && len(cands) < maxMailboxes; i++ {
		if !strings.HasPrefix(names[i], typed) {
			break
		}
		cands = append(cands, candidate{value: names[i]})
	}
	return st.offer(cands, false)
}

// mailboxACL is the ACL of the mailbox named on the line.
type mailboxACL struct {
	mailbox string
	list    acl.List
}

// identifiers offers the identifiers of the ACL of the mailbox on the line, if known,
// then anyone, anonymous and group:. After a "-" they are offered as negative
// identifiers.
func (st *statement) identifiers(on *mailboxACL) []prompt.Suggest {
	var cands []candidate
	if on != nil {
		for _, e := range on.list {
			cands = append(cands, candidate{e.ID, e.Rights + " on " + on.mailbox})
		}
	}
	for _, c := range []candidate{
		{"anyone", "everyone, anonymous included"},
		{"anonymous", "users who did not log in"},
		{"group:", "a group: group:NAME"},
	} {
		if !slices.ContainsFunc(cands, func(d candidate) bool { return d.value == c.value }) {
			cands = append(cands, c)
		}
	}
	if strings.HasPrefix(st.cur.value, "-") {
		for i, c := range cands {
			if !acl.IsNegative(c.value) {
				cands[i] = candidate{"-" + c.value, "negative rights: " + c.desc}
			}
		}
	}
	return st.offer(cands, false)
}

// rights offers the named sets of rights, and the letters that may follow those typed
// (after an optional + or -), each with its meaning.
func (st *statement) rights() []prompt.Suggest {
	typed := st.cur.value
	var cands []candidate
	for _, name := range acl.Names() {
		letters, _ := acl.Named(name)
		desc := "the rights " + letters
		if letters == "" {
			desc = "no rights: removes the identifier's entry"
		}
		cands = append(cands, candidate{name, desc})
	}
	if body := strings.TrimLeft(typed, "+-"); len(typed)-len(body) <= 1 && onlyLetters(body) {
		for _, l := range acl.Letters {
			if !strings.ContainsRune(body, l) {
				cands = append(cands, candidate{typed + string(l), acl.Describe(l)})
			}
		}
	}
	return st.offer(cands, true)
}

// onlyLetters reports whether every character of s is a rights letter.
func onlyLetters(s string) bool {
	return strings.Trim(s, acl.Letters) == ""
}

// resources offers the quota resources the server announces.
func (st *statement) resources(names []string) []prompt.Suggest {
	cands := make([]candidate, len(names))
	for i, name := range names {
		cands[i] = candidate{name, resourceHelp(name)}
	}
	return st.offer(cands, true)
}

// resourceHelp says what a quota resource's limit counts.
func resourceHelp(name string) string {
	switch name {
	case "STORAGE":
		return "limit in KiB of the messages"
	case "MESSAGE":
		return "limit in messages"
	case "MAILBOX", "X-NUM-FOLDERS":
		return "limit in mailboxes"
	case "ANNOTATION-STORAGE", "X-ANNOTATION-STORAGE":
		return "limit in KiB of the annotations"
	}
	return ""
}

// cyrusAttributes are cyradm's short names for metadata entries, and what they mean.
var cyrusAttributes = []candidate{
	{"comment", "a comment on the mailbox or the server (/shared/comment)"},
	{"expire", "days after which messages are expunged"},
	{"news2mail", "the newsgroup posts to the mailbox go to"},
	{"sharedseen", "true: one \\Seen flag shared by every user"},
	{"sieve", "the Sieve script that files mail delivered to the mailbox"},
	{"squat", "true: index the mailbox for SQUAT searches"},
	{"pop3showafter", "POP3 shows only messages that arrived after this time"},
	{"motd", "server: the message of the day shown at login (/shared/motd)"},
	{"admin", "server: the administrator's address (/shared/admin)"},
	{"shutdown", "server: refuse logins, with this message"},
}

// vendorAttributes are the short names of mailbox entries that stand for
// /shared/vendor/cmu/cyrus-imapd/NAME (or /private/...).
var vendorAttributes = []string{"expire", "news2mail", "sharedseen", "sieve", "squat", "pop3showafter"}

// metadata offers cyradm's attribute names, and the /shared/ and /private/ prefixes;
// after a "/" it offers the full entry names the attribute names stand for.
func (st *statement) metadata() []prompt.Suggest {
	cands := append([]candidate{}, cyrusAttributes...)
	cands = append(cands,
		candidate{"/shared/", "an entry shared by every user"},
		candidate{"/private/", "an entry of your own"},
	)
	if strings.HasPrefix(st.cur.value, "/") {
		cands = append(cands, fullEntries()...)
	}
	return st.offer(cands, false)
}

// fullEntries returns the full names of cyradm's attributes, under /shared/ and, for
// those of a mailbox, /private/.
func fullEntries() []candidate {
	out := []candidate{
		{"/shared/motd", "the message of the day"},
		{"/shared/admin", "the administrator's address"},
		{"/shared/vendor/cmu/cyrus-imapd/shutdown", "refuse logins, with this message"},
	}
	for _, scope := range []string{"/shared/", "/private/"} {
		out = append(out, candidate{scope + "comment", "a comment"})
		for _, name := range vendorAttributes {
			out = append(out, candidate{scope + "vendor/cmu/cyrus-imapd/" + name, "Cyrus's " + name})
		}
	}
	return out
}

// files offers the local files and folders whose path begins with the word under the
// cursor; hidden ones only after a ".". Folders end with "/".
func (st *statement) files() []prompt.Suggest {
	dir, base := path.Split(st.cur.value)
	entries, err := os.ReadDir(dir + ".")
	if err != nil {
		return nil
	}
	var cands []candidate
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), base) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if isDir(dir+e.Name(), e) {
			cands = append(cands, candidate{dir + e.Name() + "/", "folder"})
		} else {
			cands = append(cands, candidate{value: dir + e.Name()})
		}
	}
	return st.offer(cands, false)
}

// isDir reports whether the entry at name is a folder or a link to one.
func isDir(name string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	info, err := os.Stat(name)
	return err == nil && info.IsDir()
}
