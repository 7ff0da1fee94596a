module github.com/gocyradm/gocyradm

go 1.26.8

require (
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	golang.org/x/term v0.47.0
)

require golang.org/x/sys v0.49.0 // indirect
