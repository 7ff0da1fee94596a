package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
)

// Names of the environment variables that describe the test Murder (see scripts/murder.sh,
// which writes them).
const (
	EnvMurder             = "GOCYRADM_TEST_MURDER"
	EnvMurderFrontend     = "GOCYRADM_TEST_MURDER_FRONTEND"
	EnvMurderBackend1     = "GOCYRADM_TEST_MURDER_BACKEND1"
	EnvMurderBackend2     = "GOCYRADM_TEST_MURDER_BACKEND2"
	EnvMurderFrontendName = "GOCYRADM_TEST_MURDER_FRONTEND_NAME"
	EnvMurderBackend1Name = "GOCYRADM_TEST_MURDER_BACKEND1_NAME"
	EnvMurderBackend2Name = "GOCYRADM_TEST_MURDER_BACKEND2_NAME"
	EnvMurderAdmin        = "GOCYRADM_TEST_MURDER_ADMIN"
	EnvMurderPassword     = "GOCYRADM_TEST_MURDER_PASSWORD"
)

// MurderServers describes the running test Cyrus Murder: one frontend and two backends,
// each on port 143 of a loopback address of its own, reached by its servername (which
// /etc/hosts resolves), without TLS.
type MurderServers struct {
	// Frontend, Backend1 and Backend2 are the instances' host:port.
	Frontend, Backend1, Backend2 string
	// FrontendName, Backend1Name and Backend2Name are their servernames, as the frontend
	// names the backends in the location metadata and in referrals.
	FrontendName, Backend1Name, Backend2Name string
	// Admin is the administrator of every instance, and AdminPassword its password.
	Admin, AdminPassword string
}

// Murder returns the test Cyrus Murder. It skips the test when run outside scripts/test.sh,
// and fails it when the Murder's variables are missing or an instance does not accept
// connections.
func Murder(t testing.TB) MurderServers {
	t.Helper()
	if os.Getenv(EnvServers) == "" {
		t.Skipf("murder: integration tests run only under scripts/test.sh (%s is not set)", EnvServers)
	}
	m, err := loadMurder()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.reachable(); err != nil {
		t.Fatal(err)
	}
	return m
}

// loadMurder reads the description of the Murder from the environment.
func loadMurder() (MurderServers, error) {
	var env envReader
	env.need(EnvMurder)
	m := MurderServers{
		Frontend:      env.need(EnvMurderFrontend),
		Backend1:      env.need(EnvMurderBackend1),
		Backend2:      env.need(EnvMurderBackend2),
		FrontendName:  env.need(EnvMurderFrontendName),
		Backend1Name:  env.need(EnvMurderBackend1Name),
		Backend2Name:  env.need(EnvMurderBackend2Name),
		Admin:         env.need(EnvMurderAdmin),
		AdminPassword: env.need(EnvMurderPassword),
	}
	if len(env.missing) > 0 {
		return MurderServers{}, fmt.Errorf("testserver: %s is set but the Murder's %s not set: "+
			"start it with scripts/murder.sh start DIR and source DIR/env, or run scripts/test.sh",
			EnvServers, listMissing(env.missing))
	}
	return m, nil
}

// reachable checks that every instance accepts a TCP connection.
func (m MurderServers) reachable() error {
	var errs []error
	for _, addr := range []string{m.Frontend, m.Backend1, m.Backend2} {
		c, err := net.DialTimeout("tcp", addr, dialTimeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("testserver: the test Murder does not answer at %s: %w", addr, err))
			continue
		}
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("testserver: closing the probe of %s: %w", addr, err))
		}
	}
	return errors.Join(errs...)
}
