package admin

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

func init() {
	register(
		&Verb{
			Name: "help", Aliases: []string{"?"},
			Usage: "[VERB]",
			Help:  "list the commands, or show how to use one",
			Args:  []ArgKind{ArgVerb}, MaxArgs: 1, Offline: true,
			Examples: []string{"help", "help sam"},
			Run:      help,
		},
		&Verb{
			Name: "version", Aliases: []string{"ver"},
			Usage:    "",
			Help:     "show gocyradm's version and the server's identification",
			Wire:     "ID NIL",
			Offline:  true,
			Examples: []string{"ver"},
			Run:      version,
		},
		&Verb{
			Name: "exit", Aliases: []string{"quit"},
			Usage: "[STATUS]",
			Help:  "log out and leave, with the given exit status or the script's",
			Wire:  "LOGOUT",
			Args:  []ArgKind{ArgText}, MaxArgs: 1, Offline: true,
			Examples: []string{"exit", "exit 3"},
			Barrier:  true, Run: exit,
		},
	)
}

// text is a Result that is lines of text.
type text struct {
	Text string `json:"text"`
}

func (t text) Plain(w io.Writer) error {
	_, err := io.WriteString(w, t.Text)
	return err
}

func help(_ context.Context, _ *Session, a *Args) (Result, error) {
	if len(a.Pos) == 0 {
		return text{Text: verbList()}, nil
	}
	v := Lookup(a.Pos[0])
	if v == nil {
		return nil, fmt.Errorf("unknown command: %s (type help for the list of commands)", a.Pos[0])
	}
	return text{Text: verbHelp(v)}, nil
}

// verbList formats cyradm's help listing: the names of each verb, then its help.
func verbList() string {
	names := make([]string, len(verbTable))
	width := 0
	for i, v := range verbTable {
		names[i] = strings.Join(append([]string{v.Name}, v.Aliases...), ", ")
		width = max(width, len(names[i]))
	}
	var b strings.Builder
	for i, v := range verbTable {
		fmt.Fprintf(&b, "%-*s  %s\n", width, names[i], v.Help)
	}
	return b.String()
}

func verbHelp(v *Verb) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n  %s\n", v.usage(), v.Help)
	if len(v.Aliases) > 0 {
		fmt.Fprintf(&b, "aliases: %s\n", strings.Join(v.Aliases, ", "))
	}
	if len(v.Options) > 0 {
		b.WriteString("options (any unambiguous abbreviation works, with - or --):\n")
		for _, o := range v.Options {
			fmt.Fprintf(&b, "  --%-22s %s\n", strings.TrimSpace(o.Name+" "+o.Value), o.Help)
		}
	}
	if len(v.Examples) > 0 {
		b.WriteString("examples:\n")
		for _, e := range v.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	if v.Wire != "" {
		fmt.Fprintf(&b, "sends: %s\n", v.Wire)
	}
	return b.String()
}

// identification is the result of version.
type identification struct {
	Version string    `json:"version"`
	Server  []idField `json:"server"`
}

type idField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (id identification) Plain(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s: %s\n", "gocyradm", id.Version)
	for _, f := range id.Server {
		if f.Name == "environment" {
			fmt.Fprintf(&b, "%-11s:\n", f.Name)
			for _, part := range strings.Split(f.Value, ";") {
				fmt.Fprintf(&b, "%13s%s\n", "", strings.TrimSpace(part))
			}
			continue
		}
		fmt.Fprintf(&b, "%-11s: %s\n", f.Name, f.Value)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (id identification) Table(w io.Writer, width int) error {
	rows := [][]string{{"gocyradm", id.Version}}
	for _, f := range id.Server {
		rows = append(rows, []string{f.Name, f.Value})
	}
	return writeTable(w, width, []string{"field", "value"}, rows)
}

func version(ctx context.Context, s *Session, _ *Args) (Result, error) {
	id := identification{Version: s.Version, Server: []idField{}}
	if s.Client == nil {
		return id, nil
	}
	fields, err := s.Client.ID(ctx, nil).Wait(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		id.Server = append(id.Server, idField(f))
	}
	return id, nil
}

func exit(ctx context.Context, s *Session, a *Args) (Result, error) {
	code := -1
	if len(a.Pos) == 1 {
		n, err := strconv.Atoi(a.Pos[0])
		if err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("exit status must be a number from 0 to 255, not %q", a.Pos[0])
		}
		code = n
	}
	s.Close(ctx)
	s.exit = &code
	return done{}, nil
}
