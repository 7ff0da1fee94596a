// Package mailbox handles IMAP mailbox names: modified UTF-7 (RFC 3501 §5.1.3) both ways,
// validation of names a person typed, LIST pattern matching with * and %, and the hierarchy
// (parents, and an order that deletes children before their parents).
//
// It holds values and pure functions only: no I/O.
package mailbox
