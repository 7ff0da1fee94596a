package admin

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"

	"github.com/gocyradm/gocyradm/imapconn"
)

// mailboxStream is the result of listmailbox: the mailboxes as the server sends them,
// written as they arrive, so that a listing of many thousands is never held whole. Its
// error is known once it has been written.
type mailboxStream struct {
	mu    sync.Mutex
	ready *sync.Cond
	queue []listed
	done  bool
	err   error
}

func newMailboxStream() *mailboxStream {
	m := &mailboxStream{}
	m.ready = sync.NewCond(&m.mu)
	return m
}

// push adds a mailbox; it is called by the connection's reader and never blocks.
func (m *mailboxStream) push(it imapconn.ListItem) {
	attrs := it.Attrs
	if attrs == nil {
		attrs = []string{}
	}
	m.mu.Lock()
	m.queue = append(m.queue, listed{Name: it.Name, Delimiter: it.Delimiter, Attributes: attrs})
	m.mu.Unlock()
	m.ready.Signal()
}

// finish ends the stream with the listing's error, if any.
func (m *mailboxStream) finish(err error) {
	m.mu.Lock()
	m.done, m.err = true, err
	m.mu.Unlock()
	m.ready.Signal()
}

// next waits for the next mailboxes; it returns none once the stream has ended.
func (m *mailboxStream) next() []listed {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.queue) == 0 && !m.done {
		m.ready.Wait()
	}
	batch := m.queue
	m.queue = nil
	return batch
}

// Err returns the listing's error, once the stream has been written.
func (m *mailboxStream) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// each calls f for every mailbox, as it arrives.
func (m *mailboxStream) each(f func(listed) error) error {
	for batch := m.next(); len(batch) > 0; batch = m.next() {
		for _, l := range batch {
			if err := f(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// all waits for the whole listing.
func (m *mailboxStream) all() mailboxList {
	out := mailboxList{Mailboxes: []listed{}}
	_ = m.each(func(l listed) error { // f never fails
		out.Mailboxes = append(out.Mailboxes, l)
		return nil
	})
	return out
}

func (m *mailboxStream) Plain(w io.Writer) error {
	bw := bufio.NewWriter(w)
	err := m.each(func(l listed) error { return mailboxList{Mailboxes: []listed{l}}.Plain(bw) })
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (m *mailboxStream) Table(w io.Writer, width int) error { return m.all().Table(w, width) }

// writeJSONFields writes "mailboxes":[...] as the mailboxes arrive.
func (m *mailboxStream) writeJSONFields(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`"mailboxes":[`)
	first := true
	err := m.each(func(l listed) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		b, err := json.Marshal(l)
		bw.Write(b)
		return err
	})
	bw.WriteByte(']')
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
