package assetfile

import (
	"fmt"
	"strings"
)

// ParseMapping reads a mapping as people type it on a command line or in
// a query: "Header=field,Other header=field", where field is a column's
// code ("owner") or its template header ("Owner (email)"). An empty string
// is no mapping.
func ParseMapping(s string) (map[Column]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[Column]string{}
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		header, field, ok := strings.Cut(item, "=")
		header, field = strings.TrimSpace(header), strings.TrimSpace(field)
		if !ok || header == "" || field == "" {
			return nil, fmt.Errorf("the mapping %q is not Header=field", strings.TrimSpace(item))
		}
		c, found := ColumnNamed(field)
		if !found {
			return nil, fmt.Errorf("the mapping %q names %q, which is not a field Safeguard imports", strings.TrimSpace(item), field)
		}
		if prev, dup := out[c]; dup {
			return nil, fmt.Errorf("the mapping reads %s from both %q and %q", c, prev, header)
		}
		out[c] = header
	}
	return out, nil
}

// ColumnNamed finds a column by its code or its template header, ignoring
// case and punctuation.
func ColumnNamed(name string) (Column, bool) {
	k := headerKey(name)
	for _, c := range columns {
		if k == headerKey(string(c.col)) || k == headerKey(c.header) {
			return c.col, true
		}
	}
	return "", false
}
