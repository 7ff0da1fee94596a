package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// TestProgressOverAPattern: an operation over the mailboxes of a pattern reports each
// answered mailbox to the session's Progress; one on a single mailbox reports nothing.
func TestProgressOverAPattern(t *testing.T) {
	answer := func(cmd string) []string {
		if strings.HasPrefix(cmd, "LIST") {
			return []string{`* LIST () "." a.1`, `* LIST () "." a.2`, `* LIST () "." a.3`, "TAG OK done"}
		}
		return imaptest.OK(cmd)
	}
	s, _, _, errOut := fakeSession(t, cyrusGreeting, answer)
	var calls []string
	s.Progress = func(done, total int) { calls = append(calls, fmt.Sprintf("%d/%d", done, total)) }
	if status := s.RunScript(context.Background(), strings.NewReader("sam a.* bob lr\nsam a.1 bob lr\n"), "-c"); status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	if got := strings.Join(calls, " "); got != "1/3 2/3 3/3" {
		t.Errorf("progress calls %q, want 1/3 2/3 3/3", got)
	}
}
