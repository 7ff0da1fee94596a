package imapconn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Default limits on what one server response may hold.
const (
	DefaultMaxLine     = 1 << 20  // bytes in one line of a response, outside literals
	DefaultMaxResponse = 64 << 20 // bytes in one response, literals included
)

// framer cuts the server's byte stream into complete responses, reading each literal's
// data after its "{n}" line so that the parser sees the whole response at once.
type framer struct {
	r           *bufio.Reader
	maxLine     int
	maxResponse int64
}

// next returns the next response without its final CRLF.
func (f *framer) next() ([]byte, error) {
	var buf bytes.Buffer
	for {
		line, err := f.line()
		if err != nil {
			return nil, err
		}
		buf.Write(line)
		n, ok := literalLength(line)
		if !ok {
			return buf.Bytes(), nil
		}
		if int64(buf.Len())+n > f.maxResponse {
			return nil, &ProtocolError{Rule: "literal", Msg: fmt.Sprintf("a literal of %d bytes exceeds the limit of %d bytes for one response", n, f.maxResponse), Line: buf.String()}
		}
		buf.WriteString("\r\n")
		// CopyN grows the buffer as data arrives rather than trusting the declared size.
		if _, err := io.CopyN(&buf, f.r, n); err != nil {
			return nil, eofIsUnexpected(err)
		}
	}
}

// line reads one line and strips its CRLF (or a bare LF).
func (f *framer) line() ([]byte, error) {
	var line []byte
	for {
		chunk, err := f.r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > f.maxLine {
			return nil, &ProtocolError{Msg: fmt.Sprintf("a line longer than %d bytes", f.maxLine), Line: string(line[:min(len(line), 80)])}
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if len(line) > 0 {
				return nil, eofIsUnexpected(err)
			}
			return nil, err
		}
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return line, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// literalLength reports whether line ends with a literal's "{n}", "{n+}" or "~{n}", and n.
func literalLength(line []byte) (int64, bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false
	}
	digits := bytes.TrimSuffix(line[open+1:len(line)-1], []byte{'+'})
	if !isDigits(string(digits)) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 1 << 62, true // too big for int64: the limit check refuses it
	}
	return n, true
}
