// Package quota handles IMAP quotas (RFC 9208, and Cyrus's X-QUOTA capabilities): the resources
// of a quota root with their usage and limits, the limits a person typed for setquota, and the
// merge of those into the limits already set — the server replaces the whole list on SETQUOTA, so
// a caller reads the current list, merges, and writes the result.
//
// Resources are kept in ordered slices, never maps, so what goes on the wire is always in the
// same order. It holds values and pure functions only: no I/O.
package quota
