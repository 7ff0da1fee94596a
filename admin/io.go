package admin

import "io"

// IO is where a session reads and writes: the process's standard streams in the
// command, buffers in tests. Nothing in the package writes anywhere else.
type IO struct {
	In          io.Reader
	Out, Err    io.Writer
	InTerminal  bool // standard input is a terminal
	OutTerminal bool // standard output is a terminal
	Width       int  // the terminal's width, or 0
}
