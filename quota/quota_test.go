package quota

import (
	"math"
	"slices"
	"testing"
)

func TestResourcePercentAndString(t *testing.T) {
	tests := []struct {
		r       Resource
		percent int
		str     string
	}{
		{Resource{"STORAGE", 10, 100}, 10, "STORAGE 10/100 (10%)"},
		{Resource{"STORAGE", 0, 1000}, 0, "STORAGE 0/1000 (0%)"}, // Cyrus 3.6.1 GETQUOTA
		{Resource{"MESSAGE", 0, 50}, 0, "MESSAGE 0/50 (0%)"},
		{Resource{"STORAGE", 0, 1048576}, 0, "STORAGE 0/1048576 (0%)"}, // Dovecot 2.3.19 GETQUOTA
		{Resource{"STORAGE", 1, 3}, 33, "STORAGE 1/3 (33%)"},
		{Resource{"STORAGE", 2, 3}, 66, "STORAGE 2/3 (66%)"},
		{Resource{"STORAGE", 999, 1000}, 99, "STORAGE 999/1000 (99%)"},
		{Resource{"STORAGE", 100, 100}, 100, "STORAGE 100/100 (100%)"},
		{Resource{"MESSAGE", 150, 100}, 150, "MESSAGE 150/100 (150%)"},
		{Resource{"STORAGE", 10, 0}, 0, "STORAGE 10/0"},
		{Resource{"STORAGE", -5, 100}, 0, "STORAGE -5/100 (0%)"},
		{Resource{"STORAGE", 5, -1}, 0, "STORAGE 5/-1"},
		{Resource{"STORAGE", math.MaxInt64, math.MaxInt64}, 100, "STORAGE 9223372036854775807/9223372036854775807 (100%)"},
		{Resource{"STORAGE", math.MaxInt64 - 1, math.MaxInt64}, 99, "STORAGE 9223372036854775806/9223372036854775807 (99%)"},
		{Resource{"STORAGE", math.MaxInt64, 200}, math.MaxInt64 / 2, "STORAGE 9223372036854775807/200 (4611686018427387903%)"},
		{Resource{"STORAGE", math.MaxInt64, 1}, math.MaxInt, "STORAGE 9223372036854775807/1 (9223372036854775807%)"},
	}
	for _, tt := range tests {
		if got := tt.r.Percent(); got != tt.percent {
			t.Errorf("%#v.Percent() = %d, want %d", tt.r, got, tt.percent)
		}
		if got := tt.r.String(); got != tt.str {
			t.Errorf("%#v.String() = %q, want %q", tt.r, got, tt.str)
		}
	}
}

func TestMerge(t *testing.T) {
	cyrus := []Resource{{"STORAGE", 0, 1000}, {"MESSAGE", 0, 50}} // Cyrus 3.6.1 GETQUOTA user.corpus
	tests := []struct {
		name    string
		current []Resource
		changes []Change
		want    []Limit
	}{
		{"nothing", nil, nil, []Limit{}},
		{"keep all", cyrus, nil, []Limit{{"STORAGE", 1000}, {"MESSAGE", 50}}},
		{"replace in place", cyrus, []Change{{Name: "STORAGE", Limit: 2000}},
			[]Limit{{"STORAGE", 2000}, {"MESSAGE", 50}}},
		{"replace the second", cyrus, []Change{{Name: "MESSAGE", Limit: 10}},
			[]Limit{{"STORAGE", 1000}, {"MESSAGE", 10}}},
		{"remove one", cyrus, []Change{{Name: "STORAGE", Remove: true}},
			[]Limit{{"MESSAGE", 50}}},
		{"remove all one by one", cyrus, []Change{{Name: "MESSAGE", Remove: true}, {Name: "STORAGE", Remove: true}},
			[]Limit{}},
		{"append new in typed order", cyrus,
			[]Change{{Name: "X-NUM-FOLDERS", Limit: 100}, {Name: "STORAGE", Limit: 5}, {Name: "X-ANNOTATION-STORAGE", Limit: 7}},
			[]Limit{{"STORAGE", 5}, {"MESSAGE", 50}, {"X-NUM-FOLDERS", 100}, {"X-ANNOTATION-STORAGE", 7}}},
		{"remove one not set", cyrus, []Change{{Name: "MAILBOX", Remove: true}},
			[]Limit{{"STORAGE", 1000}, {"MESSAGE", 50}}},
		{"case-insensitive", []Resource{{"storage", 1, 10}}, []Change{{Name: "STORAGE", Limit: 20}},
			[]Limit{{"storage", 20}}},
		{"limit zero is a limit", cyrus, []Change{{Name: "MESSAGE", Limit: 0}},
			[]Limit{{"STORAGE", 1000}, {"MESSAGE", 0}}},
		{"onto nothing", nil, []Change{{Name: "STORAGE", Limit: 100}}, // Dovecot 2.3.19 SETQUOTA
			[]Limit{{"STORAGE", 100}}},
	}
	for _, tt := range tests {
		before := slices.Clone(tt.current)
		got := Merge(tt.current, tt.changes)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Merge(%v, %v) = %v, want %v", tt.name, tt.current, tt.changes, got, tt.want)
		}
		if !slices.Equal(tt.current, before) {
			t.Errorf("%s: Merge changed current", tt.name)
		}
	}
}

func TestKnown(t *testing.T) {
	want := []string{"STORAGE", "MESSAGE", "MAILBOX", "ANNOTATION-STORAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"}
	got := Known()
	if !slices.Equal(got, want) {
		t.Fatalf("Known() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Known()[0] != "STORAGE" {
		t.Error("Known() shares its slice with callers")
	}
}

func TestSupported(t *testing.T) {
	tests := []struct {
		name string
		caps []string
		want []string
	}{
		{"none", nil, nil},
		{"Cyrus 3.6.1", []string{"IMAP4rev1", "QUOTA", "RIGHTS=kxten", "X-QUOTA=STORAGE", "X-QUOTA=MESSAGE",
			"X-QUOTA=X-ANNOTATION-STORAGE", "X-QUOTA=X-NUM-FOLDERS", "IDLE"},
			[]string{"STORAGE", "MESSAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"}},
		{"Dovecot 2.3.19", []string{"IMAP4rev1", "METADATA", "QUOTA", "ACL", "RIGHTS=texk"}, nil},
		{"RFC 9208", []string{"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "QUOTA=RES-MAILBOX", "QUOTASET"},
			[]string{"STORAGE", "MESSAGE", "MAILBOX"}},
		{"both, repeated", []string{"X-QUOTA=STORAGE", "QUOTA=RES-STORAGE", "QUOTA=RES-ANNOTATION-STORAGE"},
			[]string{"STORAGE", "ANNOTATION-STORAGE"}},
		{"lower case", []string{"quota=res-storage", "x-quota=Message"}, []string{"STORAGE", "MESSAGE"}},
		{"empty names", []string{"QUOTA=RES-", "X-QUOTA="}, nil},
		{"look-alikes", []string{"QUOTA=STORAGE", "XQUOTA=MESSAGE", "QUOTARES-STORAGE"}, nil},
	}
	for _, tt := range tests {
		if got := Supported(tt.caps); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Supported(%q) = %q, want %q", tt.name, tt.caps, got, tt.want)
		}
	}
}
