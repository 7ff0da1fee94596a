package imapconn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gocyradm/gocyradm/mailbox"
)

// wireName turns a mailbox name typed in UTF-8 into its form on the wire: modified
// UTF-7, or UTF-8 itself once UTF8=ACCEPT is enabled. Names with control characters or
// invalid UTF-8 are refused.
func (c *Client) wireName(name string) (string, error) {
	if err := mailbox.Validate(name); err != nil {
		return "", err
	}
	c.mu.Lock()
	utf8 := c.utf8
	c.mu.Unlock()
	if utf8 {
		return name, nil
	}
	return mailbox.EncodeUTF7(name)
}

// displayName turns a mailbox name from the wire into UTF-8. A name that is not valid
// modified UTF-7 is shown as the server sent it.
func (c *Client) displayName(wire string) string {
	c.mu.Lock()
	utf8 := c.utf8
	c.mu.Unlock()
	if utf8 {
		return wire
	}
	name, err := mailbox.DecodeUTF7(wire)
	if err != nil {
		return wire
	}
	return name
}

// UTF8 reports whether UTF8=ACCEPT is enabled, so that names travel as UTF-8.
func (c *Client) UTF8() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.utf8
}

// checkWord refuses an empty word, or one holding CR, LF or NUL, for arguments such as
// partitions and server names that may never hold them; what names the argument.
func checkWord(what, word string) error {
	if word == "" {
		return errors.New(what + " is empty")
	}
	if i := strings.IndexAny(word, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%s %q holds %q at byte %d: it cannot hold CR, LF or NUL", what, word, word[i], i)
	}
	return nil
}
