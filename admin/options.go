package admin

import (
	"fmt"
	"strings"
)

// Option is an option a verb accepts, as "--name" or as any unambiguous abbreviation
// after one or two dashes (cyradm's "-part" for "--partition").
type Option struct {
	Name  string // long name, without dashes
	Value string // the value's name in the usage, or "" for a flag
	Help  string
}

// Args are a verb's arguments after option parsing.
type Args struct {
	Words []string          // the words as typed after the verb
	Opts  map[string]string // option name to value ("" for a flag that is set)
	Pos   []string          // positional arguments
}

// Has reports whether the option was given.
func (a *Args) Has(name string) bool {
	_, ok := a.Opts[name]
	return ok
}

// parseArgs parses options, which come before the positional arguments; "--" ends them.
// A word starting with "-" that is no option of the verb is positional (a negative
// identifier such as "-bob"), but only after the first positional argument.
func parseArgs(v *Verb, words []string) (*Args, error) {
	a := &Args{Words: words, Opts: map[string]string{}}
	i := 0
	for ; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' || len(v.Options) == 0 {
			break
		}
		opt, err := v.option(strings.TrimLeft(w, "-"))
		if err != nil {
			return nil, err
		}
		value := ""
		if opt.Value != "" {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("option --%s needs a %s", opt.Name, opt.Value)
			}
			i++
			value = words[i]
		}
		a.Opts[opt.Name] = value
	}
	a.Pos = words[i:]
	return a, nil
}

// option finds the option that name abbreviates.
func (v *Verb) option(name string) (*Option, error) {
	var found []*Option
	for i := range v.Options {
		o := &v.Options[i]
		if o.Name == name {
			return o, nil
		}
		if strings.HasPrefix(o.Name, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("unknown option -%s (see: help %s)", name, v.Name)
	}
	names := make([]string, len(found))
	for i, o := range found {
		names[i] = "--" + o.Name
	}
	return nil, fmt.Errorf("ambiguous option -%s: could be %s", name, strings.Join(names, " or "))
}
