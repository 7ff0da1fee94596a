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

// waitDone returns what waits for a command that returns no data.
func waitDone(p *imapconn.Pending[struct{}]) Waiter {
	return func(ctx context.Context) (Result, error) {
		_, err := p.Wait(ctx)
		return done{}, err
	}
}

// targets returns the mailbox that name is, or the mailboxes it matches when it is a
// pattern (expanded with LIST), and whether it was a pattern.
func (s *Session) targets(ctx context.Context, name string) ([]string, bool, error) {
	if !mailbox.HasWildcard(name) {
		return []string{name}, false, nil
	}
	items, err := s.expand(ctx, name)
	if err != nil {
		return nil, true, err
	}
	return itemNames(items), true, nil
}

// answer is one mailbox's answer to a read.
type answer[T any] struct {
	mailbox string
	value   T
}

// startEach starts read on every mailbox, all pipelined, and returns what waits for each
// in order. That returns the answers of the mailboxes that answered, in order, and every
// failure; when there may be several mailboxes, each failure names its mailbox and a last
// line counts them.
func startEach[T any](s *Session, names []string, several bool, read func(string) *imapconn.Pending[T]) func(context.Context) ([]answer[T], error) {
	pending := make([]*imapconn.Pending[T], len(names))
	for i, name := range names {
		pending[i] = read(name)
	}
	return func(ctx context.Context) ([]answer[T], error) {
		got := make([]answer[T], 0, len(names))
		var errs []error
		for i, p := range pending {
			v, err := p.Wait(ctx)
			s.progress(several, i+1, len(names))
			if err != nil {
				errs = append(errs, nameFailure(names[i], several, err))
				continue
			}
			got = append(got, answer[T]{mailbox: names[i], value: v})
		}
		return got, countFailures(errs, len(errs), len(names), several)
	}
}

// readEach is startEach, waited for at once.
func readEach[T any](ctx context.Context, s *Session, names []string, several bool, read func(string) *imapconn.Pending[T]) ([]answer[T], error) {
	return startEach(s, names, several, read)(ctx)
}

// progress tells the session's Progress, if any, how far an operation over several
// mailboxes has come.
func (s *Session) progress(several bool, done, total int) {
	if several && s.Progress != nil {
		s.Progress(done, total)
	}
}

// nameFailure names the mailbox in a failure when there may be several.
func nameFailure(name string, several bool, err error) error {
	if several {
		return fmt.Errorf("%s: %w", name, err)
	}
	return err
}

// countFailures joins failures, with a last line counting the mailboxes that failed
// when there may be several.
func countFailures(errs []error, failed, total int, several bool) error {
	if several && failed > 0 {
		errs = append(errs, fmt.Errorf("%d of %d mailboxes failed", failed, total))
	}
	return errors.Join(errs...)
}

// startEachMailbox starts commands on a mailbox, or on every mailbox a pattern matches
// (the LIST is waited for here), and returns what waits for them.
func (s *Session) startEachMailbox(ctx context.Context, pattern, action string, start func(string) []*imapconn.Pending[struct{}]) (Waiter, error) {
	names, several, err := s.targets(ctx, pattern)
	if err != nil {
		return nil, err
	}
	return s.startChanges(action, names, several, start), nil
}

// startChanges starts every mailbox's commands, all pipelined, and returns what waits
// for each in order and reports every failure, naming the mailbox when there may be
// several. Without several, the result has no output.
func (s *Session) startChanges(action string, names []string, several bool, start func(string) []*imapconn.Pending[struct{}]) Waiter {
	pending := make([][]*imapconn.Pending[struct{}], len(names))
	for i, name := range names {
		pending[i] = start(name)
	}
	return func(ctx context.Context) (Result, error) {
		res := progress{action: action, names: names, Done: []string{}, Failed: []failed{}}
		var errs []error
		for i, ps := range pending {
			var failures []string
			for _, p := range ps {
				if _, err := p.Wait(ctx); err != nil {
					failures = append(failures, err.Error())
					errs = append(errs, nameFailure(names[i], several, err))
				}
			}
			s.progress(several, i+1, len(names))
			if failures == nil {
				res.Done = append(res.Done, names[i])
			} else {
				res.Failed = append(res.Failed, failed{Mailbox: names[i], Error: strings.Join(failures, "; ")})
			}
		}
		if !several {
			return done{}, errors.Join(errs...)
		}
		return res, countFailures(errs, len(res.Failed), len(names), true)
	}
}
