package store

import (
	"bytes"
	"context"
	"fmt"
)

// DumpTableForTest returns every value of every row of table as raw bytes,
// as someone reading the database file or a backup would see them.
func DumpTableForTest(ctx context.Context, db *DB, table string) ([]byte, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				out.Write(b)
			} else {
				fmt.Fprint(&out, v)
			}
			out.WriteByte('|')
		}
		out.WriteByte('\n')
	}
	return out.Bytes(), rows.Err()
}
