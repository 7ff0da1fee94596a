package admin

import (
	"io"

	"github.com/olekukonko/tablewriter"
)

// writeTable renders rows under a header as a table for people, no wider than width
// when it is known; cell widths count display columns, so wide characters line up.
func writeTable(w io.Writer, width int, header []string, rows [][]string) error {
	var opts []tablewriter.Option
	if width > 0 {
		opts = append(opts, tablewriter.WithMaxWidth(width))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}
