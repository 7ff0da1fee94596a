package main

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run gocyradm in the test binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gocyradm": func() { os.Exit(run(os.Args[1:], stdIO())) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: exact output, error lines and
// exit statuses. Scripts that need servers get the test servers' variables.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "GOCYRADM_TEST_") {
					env.Vars = append(env.Vars, kv)
				}
			}
			return nil
		},
	})
}
