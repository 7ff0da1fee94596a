// Package completion turns the text before the cursor into suggestions for the
// interactive shell: verbs and their options from admin's verb table, mailbox names,
// ACL identifiers, rights, quota resources, metadata names and local file names.
//
// A Completer reads the statement under the cursor as the shell's tokenizer does and
// dispatches on the kind of word the cursor is at. Names that live on the server come
// from a Cache, which a goroutine of its own fills in the background, so typing never
// waits for the network. Completed words are quoted so that the shell reads them back
// as typed (admin.Quote).
package completion
