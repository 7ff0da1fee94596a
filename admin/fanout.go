package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/mailbox"
)

// progress is the result of an operation over the mailboxes of a pattern: one line per
// mailbox, as cyradm prints it.
type progress struct {
	action string
	names  []string
	Done   []string `json:"done"`
	Failed []failed `json:"failed"`
}

type failed struct {
	Mailbox string `json:"mailbox"`
	Error   string `json:"error"`
}

func (p progress) Plain(w io.Writer) error {
	fails := map[string]string{}
	for _, f := range p.Failed {
		fails[f.Mailbox] = f.Error
	}
	var b strings.Builder
	for _, name := range p.names {
		if e, ok := fails[name]; ok {
			fmt.Fprintf(&b, "%s %s...failed: %s\n", p.action, name, e)
		} else {
			fmt.Fprintf(&b, "%s %s...OK.\n", p.action, name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p progress) Table(w io.Writer, width int) error {
	fails := map[string]string{}
	for _, f := range p.Failed {
		fails[f.Mailbox] = f.Error
	}
	rows := make([][]string, len(p.names))
	for i, name := range p.names {
		rows[i] = []string{name, "OK"}
		if e, ok := fails[name]; ok {
			rows[i][1] = "failed: " + e
		}
	}
	return writeTable(w, width, []string{"mailbox", p.action}, rows)
}

// eachMailbox runs start's commands on a mailbox, or on every mailbox a pattern matches.
func (s *Session) eachMailbox(ctx context.Context, pattern, action string, start func(string) []*imapconn.Pending[struct{}]) (Result, error) {
	if !mailbox.HasWildcard(pattern) {
		return s.fanOut(ctx, action, []string{pattern}, false, start)
	}
	items, err := s.expand(ctx, pattern)
	if err != nil {
		return nil, err
	}
	return s.fanOut(ctx, action, itemNames(items), true, start)
}

// fanOut starts every mailbox's commands, all pipelined, then waits for each in order and
// reports every failure, naming the mailbox when there may be several. Without several,
// it has no output.
func (s *Session) fanOut(ctx context.Context, action string, names []string, several bool, start func(string) []*imapconn.Pending[struct{}]) (Result, error) {
	pending := make([][]*imapconn.Pending[struct{}], len(names))
	for i, name := range names {
		pending[i] = start(name)
	}
	res := progress{action: action, names: names, Done: []string{}, Failed: []failed{}}
	var errs []error
	for i, ps := range pending {
		var failures []string
		for _, p := range ps {
			_, err := p.Wait(ctx)
			if err == nil {
				continue
			}
			failures = append(failures, err.Error())
			if several {
				err = fmt.Errorf("%s: %w", names[i], err)
			}
			errs = append(errs, err)
		}
		if failures == nil {
			res.Done = append(res.Done, names[i])
		} else {
			res.Failed = append(res.Failed, failed{Mailbox: names[i], Error: strings.Join(failures, "; ")})
		}
	}
	if !several {
		return done{}, errors.Join(errs...)
	}
	if len(res.Failed) > 0 {
		errs = append(errs, fmt.Errorf("%d of %d mailboxes failed", len(res.Failed), len(names)))
	}
	return res, errors.Join(errs...)
}
