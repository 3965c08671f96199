package store

import (
	"context"
	"strings"
)

// Lists that can grow without bound page with a keyset: each page asks for
// the rows after the last one the previous page showed, on columns an index
// keeps in order, so a page costs the same whether it is the first or the
// thousandth, and rows added between two requests neither repeat nor go
// missing. The SQL is a plain row-value comparison, `(sort, id) > (?, ?)
// ORDER BY sort, id LIMIT n+1`, which SQLite (3.15 and later), PostgreSQL,
// CockroachDB and YugabyteDB all accept.

// Page limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Key is where a paged list resumes: the sort value and the ID of the last
// row the previous page held. Lists ordered by ID alone leave Sort empty. The
// zero Key is the start of a list.
type Key struct {
	Sort string
	ID   int64
}

// IsZero reports whether k is the start of a list.
func (k Key) IsZero() bool { return k == Key{} }

// Page asks a list method for at most Limit rows after After.
type Page struct {
	After Key
	Limit int
}

// size is the page's limit, kept between 1 and MaxPageLimit.
func (p Page) size() int {
	switch {
	case p.Limit < 1:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// cut trims the one row a list method reads beyond its page (it asks for
// size+1 to learn whether another page follows) and returns the key the next
// page starts after, or nil on the last page.
func cut[T any](rows []T, size int, key func(T) Key) ([]T, *Key) {
	if len(rows) <= size {
		return rows, nil
	}
	rows = rows[:size]
	k := key(rows[size-1])
	return rows, &k
}

// byIDs runs query, which selects an ID and a text column and ends in
// "IN ", for the given IDs, in batches that stay under every engine's limit
// on bound parameters, calling fn for each row.
func (tx *Tx) byIDs(ctx context.Context, query string, ids []int64, fn func(id int64, v string)) error {
	const batch = 500
	for len(ids) > 0 {
		n := min(len(ids), batch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := tx.query(ctx, query+"("+strings.Repeat("?, ", n-1)+"?)", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			fn(id, v)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Collect reads every page of a list, up to max rows (0: no bound), with
// the largest page the store serves; complete is false when rows were left
// beyond max. It is for the few places that need a list whole: exports, the
// CLI, a bounded drawing.
func Collect[T any](list func(Page) ([]T, *Key, error), max int) (rows []T, complete bool, err error) {
	rows = []T{}
	p := Page{Limit: MaxPageLimit}
	for {
		items, next, err := list(p)
		if err != nil {
			return nil, false, err
		}
		rows = append(rows, items...)
		if next == nil {
			return rows, true, nil
		}
		if max > 0 && len(rows) >= max {
			return rows, false, nil
		}
		p.After = *next
	}
}
