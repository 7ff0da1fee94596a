package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// cyrusResources is the list of quota resources Cyrus 3.6 advertises, as setquota
// names them when it refuses another.
const cyrusResources = "STORAGE, MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS"

// wantLimits fails the test unless a quota root's limits, as the server holds them, are
// want: "STORAGE 100 MESSAGE 20", or "" for none.
func wantLimits(t *testing.T, c *imapconn.Client, root, want string) {
	t.Helper()
	r, err := c.GetQuota(testCtx(t), root).Wait(testCtx(t))
	if err != nil {
		t.Fatalf("GETQUOTA %s: %v", root, err)
	}
	var parts []string
	for _, res := range r.Resources {
		parts = append(parts, fmt.Sprintf("%s %d", res.Name, res.Limit))
	}
	if got := strings.Join(parts, " "); got != want {
		t.Errorf("server limits of %s = %q, want %q", root, got, want)
	}
}

// wantEntry fails the test unless a metadata entry's value, as the server holds it, is
// want ("NIL" for none).
func wantEntry(t *testing.T, c *imapconn.Client, mbox, entry, want string) {
	t.Helper()
	if got := entryValue(t, c, mbox, entry); got != want {
		t.Errorf("%q %s = %q, want %q", mbox, entry, got, want)
	}
}

// TestQuotaSetSeveralResources: one setquota sets several resources (cyradm's bug 1
// sent "(STORAGE 100MESSAGE 20 )"), and listquota shows every one of them (bug 2).
func TestQuotaSetSeveralResources(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := newMailbox(t, a, c, "quota several")
	q := quoteWord(root)
	r := runOK(t, a, "", "--trace", "-c", "sq "+q+" STORAGE 100 MESSAGE 20")
	sends(t, r.stderr, fmt.Sprintf("SETQUOTA %s (STORAGE 100 MESSAGE 20)", quoteWire(root)))
	wantLimits(t, c, root, "STORAGE 100 MESSAGE 20")
	runOK(t, a, "STORAGE 0/100 (0%)\nMESSAGE 0/20 (0%)\n", "-c", "lq "+q)
	runOK(t, a, `{"verb":"listquota","args":[`+jsonString(root)+`],"ok":true,"root":`+jsonString(root)+`,"resources":[`+
		`{"name":"STORAGE","usage":0,"limit":100,"percent":0},{"name":"MESSAGE","usage":0,"limit":20,"percent":0}]}`+"\n",
		"--json", "-c", "listquota "+q)
	runOK(t, a, `{"verb":"setquota","args":[`+jsonString(root)+`,"x-num-folders","5"],"ok":true,"root":`+jsonString(root)+`,"limits":[`+
		`{"name":"STORAGE","limit":100},{"name":"MESSAGE","limit":20},{"name":"X-NUM-FOLDERS","limit":5}]}`+"\n",
		"-o", "json", "-c", "setquota "+q+" x-num-folders 5")
}

// TestQuotaSetKeepsOtherResources: setting one resource keeps the others already set
// (Cyrus replaces the whole list: cyradm's bug 15).
func TestQuotaSetKeepsOtherResources(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := newMailbox(t, a, c, "quota keep")
	q := quoteWord(root)
	runOK(t, a, "", "-c", "sq "+q+" STORAGE 100 MESSAGE 20")
	r := runOK(t, a, "", "--trace", "-c", "sq "+q+" MESSAGE 50")
	sends(t, r.stderr, fmt.Sprintf("SETQUOTA %s (STORAGE 100 MESSAGE 50)", quoteWire(root)))
	wantLimits(t, c, root, "STORAGE 100 MESSAGE 50")
	runOK(t, a, "", "-c", "sq "+q+" 300") // cyradm's "setquota ROOT N" sets STORAGE
	wantLimits(t, c, root, "STORAGE 300 MESSAGE 50")
}

// TestQuotaRemove: "RES none" removes one limit, "none" all of them.
func TestQuotaRemove(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := newMailbox(t, a, c, "quota none")
	q := quoteWord(root)
	runOK(t, a, "", "-c", "sq "+q+" STORAGE 100 MESSAGE 20 X-NUM-FOLDERS 3; sq "+q+" storage none")
	wantLimits(t, c, root, "MESSAGE 20 X-NUM-FOLDERS 3")
	r := runOK(t, a, "", "--trace", "-c", "sq "+q+" none")
	sends(t, r.stderr, fmt.Sprintf("SETQUOTA %s ()", quoteWire(root)))
	wantLimits(t, c, root, "")
	runOK(t, a, "", "-c", "lq "+q)
	runOK(t, a, `{"verb":"listquota","args":[`+jsonString(root)+`],"ok":true,"root":`+jsonString(root)+`,"resources":[]}`+"\n", "--json", "-c", "lq "+q)
}

// TestListQuotaRoot: every resource of the root, for a mailbox and for a pattern.
func TestListQuotaRoot(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := newMailbox(t, a, c, "quota root")
	child := root + ".child"
	createMailbox(t, a, c, child)
	runOK(t, a, "", "-c", "sq "+quoteWord(root)+" STORAGE 100 MESSAGE 20")
	lines := root + " STORAGE 0/100 (0%)\n" + root + " MESSAGE 0/20 (0%)\n"
	runOK(t, a, lines, "-c", "lqr "+quoteWord(child))
	indented := "  " + strings.ReplaceAll(strings.TrimSuffix(lines, "\n"), "\n", "\n  ") + "\n"
	runOK(t, a, root+":\n"+indented+child+":\n"+indented, "-c", "listquotaroot "+quoteWord(root+"*"))
	resources := `"resources":[{"name":"STORAGE","usage":0,"limit":100,"percent":0},{"name":"MESSAGE","usage":0,"limit":20,"percent":0}]`
	runOK(t, a, `{"verb":"listquotaroot","args":[`+jsonString(child)+`],"ok":true,"mailbox":`+jsonString(child)+
		`,"roots":[{"root":`+jsonString(root)+`,`+resources+`}]}`+"\n", "-o", "json", "-c", "lqm "+quoteWord(child))
}

// TestListQuotaErrors: a missing root or mailbox is an error with the server's words and
// exit status 1 (cyradm printed nothing and exited 0: bug 2).
func TestListQuotaErrors(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		missing := a.unique("no such root")
		want := perServer(a, "Quota root does not exist", "Quota root doesn't exist")
		runFails(t, a, "", "-c:1: listquota: "+want+"\n", "-c", "lq "+quoteWord(missing))
		if a.srv.Name == "cyrus" { // Dovecot answers GETQUOTAROOT for any name with the user's root
			runFails(t, a, "", "-c:1: listquotaroot: Mailbox does not exist\n", "-c", "lqr "+quoteWord(missing))
		}
	})
}

// TestSetQuotaUnknownResource: a resource the server does not advertise is refused
// before anything is sent (Cyrus would answer NO and then BAD to the rest of the line).
func TestSetQuotaUnknownResource(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := newMailbox(t, a, c, "quota unknown")
	runOK(t, a, "", "-c", "sq "+quoteWord(root)+" STORAGE 10")
	r := runFails(t, a, "", "-c:1: setquota: unsupported quota resource FOO: this server supports "+cyrusResources+"\n",
		"--trace", "-c", "sq "+quoteWord(root)+" STORAGE 20 FOO 1")
	sendsNo(t, r.stderr, "QUOTA")
	wantLimits(t, c, root, "STORAGE 10")
}

// TestQuotaDovecot: Dovecot's root is "User quota", set in its configuration; SETQUOTA
// is refused with words that gocyradm passes on.
func TestQuotaDovecot(t *testing.T) {
	a := dovecotUser(t)
	c := a.client(t)
	r, err := c.GetQuota(testCtx(t), "User quota").Wait(testCtx(t))
	if err != nil || len(r.Resources) != 1 {
		t.Fatalf("GETQUOTA \"User quota\" = %v, %v; want one resource", r, err)
	}
	res := r.Resources[0]
	runOK(t, a, res.String()+"\n", "-c", "lq 'User quota'")
	runOK(t, a, "User quota "+res.String()+"\n", "-c", "lqr INBOX")
	runOK(t, a, fmt.Sprintf(`{"verb":"listquota","args":["User quota"],"ok":true,"root":"User quota","resources":[`+
		`{"name":"STORAGE","usage":%d,"limit":%d,"percent":%d}]}`+"\n", res.Usage, res.Limit, res.Percent()),
		"--json", "-c", "lq 'User quota'")
	runFails(t, a, "", "-c:1: setquota: Quota can be changed only by admin\n", "-c", "sq 'User quota' STORAGE 100")
	// Dovecot advertises no resource names (plain QUOTA): it judges unknown ones itself.
	runFails(t, a, "", "-c:1: setquota: Quota can be changed only by admin\n", "-c", "sq 'User quota' FOO 1")
	wantLimits(t, c, "User quota", fmt.Sprintf("STORAGE %d", res.Limit))
	if quota.Supported(c.Capabilities()) != nil {
		t.Errorf("Dovecot now advertises quota resources: %q", c.Capabilities())
	}
}

// TestMboxcfgUnquotedValue: a value of several words must be quoted; cyradm took the
// second word for the private flag (bug 5). Nothing is sent.
func TestMboxcfgUnquotedValue(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := newMailbox(t, a, c, "mboxcfg")
		r := runFails(t, a, "", "-c:1: mboxcfg: usage: mboxcfg [--private] MAILBOX ATTRIBUTE VALUE   (quote a VALUE that has spaces)\n"+
			"-c: nothing was run: correct the lines above first\n",
			"--trace", "-c", "mboxcfg "+quoteWord(box)+" comment hello world")
		sendsNo(t, r.stderr, "METADATA")
		for _, entry := range []string{"/shared/comment", "/private/comment"} {
			wantEntry(t, c, box, entry, "NIL")
		}
		runOK(t, a, "", "-c", "mboxcfg "+quoteWord(box)+" comment 'hello world'")
		wantEntry(t, c, box, "/shared/comment", "hello world")
	})
}

// TestMetadataRoundTrip sets shared and private entries with setmetadata and mboxcfg,
// reads them back with getmetadata, and removes them with none.
func TestMetadataRoundTrip(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := newMailbox(t, a, c, "metadata")
		q := quoteWord(box)
		runOK(t, a, "", "-c", "setmd "+q+" comment 'two  spaces and \"quotes\"'; mboxcfg -priv "+q+" comment mine")
		wantEntry(t, c, box, "/shared/comment", `two  spaces and "quotes"`)
		wantEntry(t, c, box, "/private/comment", "mine")
		runOK(t, a, "{"+box+"}:\n  private:\n    /private/comment: mine\n  shared:\n    /shared/comment: two  spaces and \"quotes\"\n",
			"-c", "getmd "+q+" comment /private/comment /shared/vendor/cmu/cyrus-imapd/expire")
		runOK(t, a, `{"verb":"getmetadata","args":[`+jsonString(box)+`,"comment"],"ok":true,"mailbox":`+jsonString(box)+
			`,"entries":[{"name":"/shared/comment","value":"two  spaces and \"quotes\""}]}`+"\n",
			"--json", "-c", "getmetadata "+q+" comment")
		runOK(t, a, `{"verb":"setmetadata","args":["--private",`+jsonString(box)+`,"comment","none"],"ok":true,"mailbox":`+jsonString(box)+
			`,"entry":"/private/comment","value":null}`+"\n", "--json", "-c", "setmetadata --private "+q+" comment none")
		runOK(t, a, "", "-c", "mboxconfig "+q+" /shared/comment none")
		runOK(t, a, "{"+box+"}:\n", "-c", "getmd "+q+" comment /private/comment")
		for _, entry := range []string{"/shared/comment", "/private/comment"} {
			wantEntry(t, c, box, entry, "NIL")
		}
	})
}

// TestInfoMailbox: info shows every entry that has a value, private ones first, sorted;
// the expected text is built from an independent GETMETADATA.
func TestInfoMailbox(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := newMailbox(t, a, c, "info")
		runOK(t, a, "", "-c", "mboxcfg "+quoteWord(box)+" comment 'hello world'; mboxcfg -p "+quoteWord(box)+" comment mine")
		entries, err := c.GetMetadata(testCtx(t), box, []string{"/private", "/shared"}, imapconn.MetadataOptions{Depth: "infinity"}).Wait(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		runOK(t, a, infoOutput(box, entries), "-c", "info "+quoteWord(box))
		if a.srv.Name == "dovecot" {
			runOK(t, a, "{"+box+"}:\n  private:\n    /private/comment: mine\n  shared:\n    /shared/comment: hello world\n", "-c", "info "+quoteWord(box))
		}
		// Cyrus's server entries vary (free space); Dovecot lists none with DEPTH.
		if r := a.gocyradm(t, "", "-c", "info"); r.status != 0 || !strings.HasPrefix(r.stdout, "{Server Wide}\n") {
			t.Errorf("info without a mailbox: status %d, stdout %q, want 0 and {Server Wide} first", r.status, r.stdout)
		}
	})
}

// infoOutput writes entries as info shows them, independently of gocyradm's code.
func infoOutput(mbox string, entries []imapconn.Entry) string {
	var sections [2][]string
	for _, e := range entries {
		if e.Value == nil {
			continue
		}
		i := 1
		if strings.HasPrefix(e.Name, "/private/") {
			i = 0
		}
		sections[i] = append(sections[i], "    "+e.Name+": "+*e.Value+"\n")
	}
	out := "{" + mbox + "}:\n"
	for i, name := range []string{"private", "shared"} {
		if len(sections[i]) > 0 {
			slices.Sort(sections[i])
			out += "  " + name + ":\n" + strings.Join(sections[i], "")
		}
	}
	return out
}

// TestSetinfoMotd sets the server's message of the day, reads it, and removes it.
func TestSetinfoMotd(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		t.Cleanup(func() { a.gocyradm(t, "", "-c", "setinfo motd none") })
		runOK(t, a, "", "-c", "setinfo motd 'back at five'")
		wantEntry(t, c, "", "/shared/motd", "back at five")
		runOK(t, a, "{Server Wide}\n  shared:\n    /shared/motd: back at five\n", "-c", "getmd '' motd")
		runOK(t, a, `{"verb":"setinfo","args":["motd","none"],"ok":true,"mailbox":"","entry":"/shared/motd","value":null}`+"\n",
			"--json", "-c", "setinfo motd none")
		wantEntry(t, c, "", "/shared/motd", "NIL")
		runOK(t, a, `{"verb":"getmetadata","args":["","/shared/motd"],"ok":true,"mailbox":"","entries":[]}`+"\n",
			"--json", "-c", "getmd '' /shared/motd")
	})
}

// TestMetadataErrors: unknown attribute names are refused before sending; a missing
// mailbox is an error with the server's words.
func TestMetadataErrors(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		missing := a.unique("no such box")
		runFails(t, a, "", "-c:1: info: "+noSuchMailbox(a, missing)+"\n", "-c", "info "+quoteWord(missing))
		r := runFails(t, a, "", `-c:1: setinfo: unknown attribute "colour": give one of admin, comment, expire, motd, shutdown, squat, `+
			"or a full entry name such as /shared/comment\n", "--trace", "-c", "setinfo colour blue")
		sendsNo(t, r.stderr, "METADATA")
	})
}
