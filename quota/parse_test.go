package quota

import (
	"slices"
	"strings"
	"testing"
)

func TestParseChanges(t *testing.T) {
	tests := []struct {
		args      []string
		want      []Change
		removeAll bool
	}{
		{[]string{"none"}, nil, true},
		{[]string{"NONE"}, nil, true},
		{[]string{"1000"}, []Change{{Name: "STORAGE", Limit: 1000}}, false},
		{[]string{"0"}, []Change{{Name: "STORAGE", Limit: 0}}, false},
		{[]string{"007"}, []Change{{Name: "STORAGE", Limit: 7}}, false},
		{[]string{"STORAGE", "1000"}, []Change{{Name: "STORAGE", Limit: 1000}}, false},
		{[]string{"storage", "1000"}, []Change{{Name: "STORAGE", Limit: 1000}}, false},
		{[]string{"STORAGE", "none"}, []Change{{Name: "STORAGE", Remove: true}}, false},
		{[]string{"STORAGE", "None"}, []Change{{Name: "STORAGE", Remove: true}}, false},
		{
			[]string{"STORAGE", "10", "MESSAGE", "20"}, // cyradm's bug 1: this must be two resources
			[]Change{{Name: "STORAGE", Limit: 10}, {Name: "MESSAGE", Limit: 20}},
			false,
		},
		{
			[]string{"x-num-folders", "100", "STORAGE", "none", "X-ANNOTATION-STORAGE", "9223372036854775807"},
			[]Change{{Name: "X-NUM-FOLDERS", Limit: 100}, {Name: "STORAGE", Remove: true}, {Name: "X-ANNOTATION-STORAGE", Limit: 9223372036854775807}},
			false,
		},
		{[]string{"MY_RES.1", "5"}, []Change{{Name: "MY_RES.1", Limit: 5}}, false},
	}
	for _, tt := range tests {
		got, removeAll, err := ParseChanges(tt.args)
		if err != nil || !slices.Equal(got, tt.want) || removeAll != tt.removeAll {
			t.Errorf("ParseChanges(%q) = %v, %v, %v; want %v, %v, nil", tt.args, got, removeAll, err, tt.want, tt.removeAll)
		}
	}
}

func TestParseChangesErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no limits given"},
		{[]string{}, "no limits given"},
		{[]string{"STORAGE"}, "no limit after STORAGE"},
		{[]string{"STORAGE", "10", "MESSAGE"}, "no limit after MESSAGE"},
		{[]string{"10M"}, `bad limit "10M" for STORAGE: give a whole number of KiB (no sign or unit) or none`},
		{[]string{"-1"}, `bad limit "-1" for STORAGE`},
		{[]string{""}, `bad limit "" for STORAGE`},
		{[]string{"MESSAGE", "+5"}, `bad limit "+5" for MESSAGE: give a whole number of messages`},
		{[]string{"MESSAGE", "1.5"}, `bad limit "1.5" for MESSAGE`},
		{[]string{"X-NUM-FOLDERS", "lots"}, `bad limit "lots" for X-NUM-FOLDERS: give a whole number of mailboxes`},
		{[]string{"FOO", "1e3"}, `bad limit "1e3" for FOO: give a whole number of units`},
		{[]string{"STORAGE", "MESSAGE", "10"}, `bad limit "MESSAGE" for STORAGE`},
		{[]string{"STORAGE", "9223372036854775808"}, "limit 9223372036854775808 for STORAGE is too large: the largest is 9223372036854775807"},
		{[]string{"STORAGE", "10", "storage", "20"}, "resource STORAGE given twice"},
		{[]string{"STORAGE", "10", "STORAGE", "none"}, "resource STORAGE given twice"},
		{[]string{"STORAGE", "10", "20"}, `bad resource name "20"`},
		{[]string{"10", "20"}, `bad resource name "10"`},
		{[]string{"STO RAGE", "1"}, `bad resource name "STO RAGE"`},
		{[]string{"STORAGE)", "1"}, `bad resource name "STORAGE)"`},
		{[]string{"", "1"}, `bad resource name ""`},
		{[]string{"none", "10"}, `"none" removes every limit and stands alone`},
		{[]string{"STORAGE", "10", "none"}, `"none" removes every limit and stands alone`},
	}
	for _, tt := range tests {
		got, removeAll, err := ParseChanges(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) || got != nil || removeAll {
			t.Errorf("ParseChanges(%q) = %v, %v, %v; want an error with %q", tt.args, got, removeAll, err, tt.want)
		}
	}
}

func FuzzParseChanges(f *testing.F) {
	f.Add("none")
	f.Add("1000")
	f.Add("STORAGE 10 MESSAGE 20")
	f.Add("STORAGE none X-NUM-FOLDERS 5")
	f.Add("STORAGE 10 storage 20")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, " ")
		changes, removeAll, err := ParseChanges(args)
		if err != nil {
			return
		}
		if removeAll && changes != nil {
			t.Fatalf("ParseChanges(%q): removeAll with changes %v", args, changes)
		}
		for i, c := range changes {
			if c.Name != strings.ToUpper(c.Name) || c.Limit < 0 || c.Remove && c.Limit != 0 {
				t.Fatalf("ParseChanges(%q): bad change %+v", args, c)
			}
			if indexChange(changes[:i], c.Name) >= 0 {
				t.Fatalf("ParseChanges(%q) = %v: %s twice", args, changes, c.Name)
			}
		}
	})
}
