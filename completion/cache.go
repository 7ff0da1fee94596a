package completion

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/admin"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// Cache holds what completion offers from the server: mailbox names, the ACLs of the
// mailboxes named on the line, and the quota resources the server announces. A goroutine
// fills it in the background — when the cache is made, when the connection changes,
// every Every and after commands that change mailboxes — and completion only reads it,
// so typing never waits for the network. Its methods may be called from any goroutine.
type Cache struct {
	every   time.Duration
	timeout time.Duration
	kick    chan struct{} // a refresh of the names is wanted
	acls    chan string   // the mailboxes whose ACL is wanted
	stop    context.CancelFunc
	done    chan struct{}

	mu        sync.Mutex
	client    *imapconn.Client
	names     []string
	acl       map[string]acl.List // by mailbox; present once fetched or being fetched
	resources []string
}

// Timing of the background work.
const (
	// DefaultEvery is how often the mailbox names are listed again when nothing else
	// asks for it.
	DefaultEvery = time.Minute
	// fetchTimeout bounds one LIST or GETACL of the refresher.
	fetchTimeout = 30 * time.Second
	// aclQueue is how many ACL fetches may wait; more are asked again later.
	aclQueue = 16
)

// NewCache returns a cache over the connection c, which may be nil, and starts its
// refresher, which lists the names at once and then every every. Close stops it.
func NewCache(c *imapconn.Client, every time.Duration) *Cache {
	ctx, stop := context.WithCancel(context.Background())
	k := &Cache{
		every:   every,
		timeout: fetchTimeout,
		kick:    make(chan struct{}, 1),
		acls:    make(chan string, aclQueue),
		stop:    stop,
		done:    make(chan struct{}),
		acl:     map[string]acl.List{},
	}
	k.SetClient(c)
	go k.run(ctx)
	return k
}

// Close stops the refresher and waits for it to end.
func (k *Cache) Close() {
	k.stop()
	<-k.done
}

// SetClient tells the cache the session's connection, which may be nil. When it is not
// the one the cache knows, the cache is emptied and filled again from c.
func (k *Cache) SetClient(c *imapconn.Client) {
	k.mu.Lock()
	if k.client == c {
		k.mu.Unlock()
		return
	}
	k.client, k.names, k.acl, k.resources = c, nil, map[string]acl.List{}, resourcesOf(c)
	k.mu.Unlock()
	k.Refresh()
}

// Refresh asks for the mailbox names to be listed again, without waiting.
func (k *Cache) Refresh() {
	select {
	case k.kick <- struct{}{}:
	default: // a refresh is already asked for
	}
}

// Ran updates the cache after line ran at the prompt: the names are listed again after a
// command that creates, deletes, renames or moves mailboxes or logs in again, and the
// ACLs are fetched again after a command that changes an ACL.
func (k *Cache) Ran(line string) {
	stmts, err := admin.ParseLine(line, nil)
	if err != nil {
		return
	}
	for _, st := range stmts {
		if st.Words == nil {
			continue
		}
		v := admin.Lookup(st.Words[0])
		switch {
		case v == nil:
		case v.Changes == admin.ChangesMailboxes:
			k.Refresh()
		case v.Changes == admin.ChangesACLs:
			k.mu.Lock()
			k.acl = map[string]acl.List{}
			k.mu.Unlock()
		}
	}
}

// Names returns the mailbox names, sorted. The slice must not be changed.
func (k *Cache) Names() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.names
}

// ACL returns the access control list of mailbox, and whether it is known. When it is
// neither known nor asked for yet, ACL asks the refresher to fetch it, without waiting.
func (k *Cache) ACL(mailbox string) (acl.List, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	list, ok := k.acl[mailbox]
	if ok || k.client == nil {
		return list, list != nil
	}
	select {
	case k.acls <- mailbox:
		k.acl[mailbox] = nil // asked for
	default: // the queue is full: asked again at the next keystroke
	}
	return nil, false
}

// Resources returns the quota resources the server announces, in its order.
func (k *Cache) Resources() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.resources
}

// run is the refresher: it works until ctx ends.
func (k *Cache) run(ctx context.Context) {
	defer close(k.done)
	tick := time.NewTicker(k.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.kick:
			k.listNames(ctx)
		case <-tick.C:
			k.listNames(ctx)
		case mailbox := <-k.acls:
			k.fetchACL(ctx, mailbox)
		}
	}
}

// current returns the connection the cache works for.
func (k *Cache) current() *imapconn.Client {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.client
}

// listNames lists every mailbox and keeps the names, unless the connection changed
// meanwhile. A failure keeps the names known before.
func (k *Cache) listNames(ctx context.Context) {
	c := k.current()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	items, err := c.List(ctx, "", "*", imapconn.ListOptions{}).Wait(ctx)
	if err != nil {
		return
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.Name
	}
	slices.Sort(names)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client == c {
		k.names, k.resources = slices.Compact(names), resourcesOf(c)
	}
}

// fetchACL fetches the ACL of mailbox and keeps it, unless the connection changed
// meanwhile. A failure (no such mailbox, no right to see its ACL) is kept as an empty
// ACL, so that it is not asked for again at every keystroke.
func (k *Cache) fetchACL(ctx context.Context, mailbox string) {
	c := k.current()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	list, err := c.GetACL(ctx, mailbox).Wait(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != c {
		return
	}
	if err != nil {
		list = nil
	}
	k.acl[mailbox] = append(acl.List{}, list...)
}

// resourcesOf returns the quota resources c announces.
func resourcesOf(c *imapconn.Client) []string {
	if c == nil {
		return nil
	}
	return quota.Supported(c.Capabilities())
}
