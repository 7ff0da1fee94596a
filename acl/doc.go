// Package acl handles IMAP access control lists (RFC 4314) as Cyrus and its cyradm know them:
// rights letters and what they mean, the named sets cyradm expands (none, read, post, append,
// write, delete, all), changes with "+" and "-" modifiers, and identifiers, negative ones included.
//
// It is strict with what a person typed, so a typo is refused before anything reaches the server,
// and faithful to what a server sent: rights strings from GETACL or MYRIGHTS are kept as they came.
// It holds values and pure functions only: no I/O.
package acl
