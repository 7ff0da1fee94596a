package imapconn

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCreateOnServer: a Murder backend is named with SERVER, never as server!partition.
func TestCreateOnServer(t *testing.T) {
	c, _ := startFake(t, `
		S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready
		C: g1 CREATE user.a (SERVER backend1.lab)
		S: g1 OK done
		C: g2 CREATE user.b (SERVER backend2.lab PARTITION p2)
		S: g2 OK done
		C: g3 CREATE user.c p3
		S: g3 OK done
	`, Options{})
	for _, tc := range []struct {
		name string
		opts CreateOptions
	}{
		{"user.a", CreateOptions{Server: "backend1.lab"}},
		{"user.b", CreateOptions{Server: "backend2.lab", Partition: "p2"}},
		{"user.c", CreateOptions{Partition: "p3"}},
	} {
		if _, err := c.Create(ctx(t), tc.name, tc.opts).Wait(ctx(t)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := c.Create(ctx(t), "user.d", CreateOptions{Server: "a\r\nb"}).Wait(ctx(t)); err == nil {
		t.Error("a server name with CR LF was sent")
	}
}

// TestRelocate: RENAME to the same name with server!partition; an untagged NO before the
// OK is a failure.
func TestRelocate(t *testing.T) {
	c, _ := startFake(t, `
		S: * OK ready
		C: g1 RENAME user.a user.a backend2.lab!default
		S: * OK USER a
		S: g1 OK Completed
		C: g2 RENAME user.b user.b backend2.lab
		S: * NO USER b (Mailbox is locked)
		S: g2 OK Completed
	`, Options{})
	if _, err := c.Relocate(ctx(t), "user.a", "backend2.lab", "default").Wait(ctx(t)); err != nil {
		t.Errorf("user.a: %v", err)
	}
	_, err := c.Relocate(ctx(t), "user.b", "backend2.lab", "").Wait(ctx(t))
	var ierr *Error
	if !errors.As(err, &ierr) || ierr.Text != "USER b (Mailbox is locked)" {
		t.Errorf("user.b: %v, want the untagged NO", err)
	}
}

// TestRefusalHandler: a refused command runs again on the connection the handler gives,
// once; without one, the handler's error is the command's.
func TestRefusalHandler(t *testing.T) {
	front, _ := startFake(t, `
		S: * OK ready
		C: g1 SETACL user.bob alice lrs
		S: g1 NO [REFERRAL imap://;AUTH=*@back/user.bob] Remote mailbox.
		C: g2 SETACL user.carol alice lrs
		S: g2 NO [REFERRAL imap://;AUTH=*@back/user.carol] Remote mailbox.
		C: g3 GETACL user.dave
		S: g3 NO Mailbox does not exist
	`, Options{})
	back, _ := startFake(t, `
		S: * OK ready
		C: g1 SETACL user.bob alice lrs
		S: g1 OK done
		C: g2 SETACL user.carol alice lrs
		S: g2 NO [REFERRAL imap://;AUTH=*@front/user.carol] Remote mailbox.
	`, Options{})
	back.HandleRefusals(func(context.Context, *Error) (*Client, error) {
		t.Error("the backend's handler was asked: a referral is followed once")
		return nil, nil
	})
	explained := errors.New("explained")
	front.HandleRefusals(func(_ context.Context, no *Error) (*Client, error) {
		if no.Referral() != "" {
			return back, nil
		}
		return nil, explained
	})
	if _, err := front.SetACL(ctx(t), "user.bob", "alice", "lrs").Wait(ctx(t)); err != nil {
		t.Errorf("followed: %v", err)
	}
	_, err := front.SetACL(ctx(t), "user.carol", "alice", "lrs").Wait(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "Remote mailbox.") {
		t.Errorf("referred twice: %v, want the second referral as the error", err)
	}
	if _, err := front.GetACL(ctx(t), "user.dave").Wait(ctx(t)); !errors.Is(err, explained) {
		t.Errorf("explained: %v", err)
	}
}

// TestRefusalHandlerNeverPasses: a handler that gives neither a connection nor an error
// leaves the refusal as it is.
func TestRefusalHandlerNeverPasses(t *testing.T) {
	c, _ := startFake(t, `
		S: * OK ready
		C: g1 DELETE user.x
		S: g1 NO Permission denied
	`, Options{})
	c.HandleRefusals(func(context.Context, *Error) (*Client, error) { return nil, nil })
	if _, err := c.Delete(ctx(t), "user.x").Wait(ctx(t)); err == nil || err.Error() != "Permission denied" {
		t.Errorf("err = %v, want the refusal", err)
	}
}
