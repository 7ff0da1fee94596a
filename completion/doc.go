// Package completion turns the text before the cursor into suggestions for the
// interactive shell: verbs, options, mailbox names, identifiers and rights.
package completion
