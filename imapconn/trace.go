package imapconn

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
)

// maxTracedLiteral is the longest literal the trace shows; longer ones show their size.
const maxTracedLiteral = 1024

// tracer writes the conversation as "C: " and "S: " lines. During a SASL exchange the
// server's challenges are redacted; the client's answers are redacted by their sender.
type tracer struct {
	mu   sync.Mutex
	w    io.Writer
	sasl atomic.Bool
}

func newTracer(w io.Writer) *tracer { return &tracer{w: w} }

// client traces bytes the client sends, already redacted by the encoder or the sender.
func (t *tracer) client(b []byte) {
	if t.w == nil {
		return
	}
	t.lines("C: ", b)
}

// server traces one response.
func (t *tracer) server(raw []byte) {
	if t.w == nil {
		return
	}
	if t.sasl.Load() && bytes.HasPrefix(raw, []byte("+")) {
		raw = []byte("+ <redacted>")
	}
	t.lines("S: ", shortenLiterals(raw))
}

func (t *tracer) lines(prefix string, b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, line := range bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\r\n")), []byte("\n")) {
		_, _ = io.WriteString(t.w, prefix+string(bytes.TrimRight(line, "\r\n"))+"\n") // tracing is best effort
	}
}

// shortenLiterals replaces the data of long literals with a note of their size.
func shortenLiterals(raw []byte) []byte {
	var out []byte
	for {
		i := bytes.Index(raw, []byte("}\r\n"))
		if i < 0 {
			return append(out, raw...)
		}
		n, ok := literalLength(raw[:i+1])
		out = append(out, raw[:i+3]...)
		raw = raw[i+3:]
		if ok && n > maxTracedLiteral && n <= int64(len(raw)) {
			out = append(out, "<"+strconv.FormatInt(n, 10)+" bytes>"...)
			raw = raw[n:]
		}
	}
}
