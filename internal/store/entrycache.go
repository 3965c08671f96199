package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/safeguard-health/safeguard/internal/assess"
)

// maxCachedCopies bounds entryCache. Assessments pinned to the same catalogue
// profile and version share one copy, so a deployment has a handful of
// distinct copies, not one per assessment.
const maxCachedCopies = 64

// entryCache keeps decoded catalogue copies (assessments.entries), keyed by
// their stored text itself. A hit needs the exact same bytes, so the cache
// can never hand back a copy that differs from what the row holds, whatever
// happens to the row; and since the key is the content, assessments pinned
// to the same catalogue share one decoded copy. Callers get a clipped slice:
// appending copies it, and nothing in Safeguard writes into an element.
type entryCache struct {
	mu     sync.Mutex
	copies map[string][]assess.EntrySnapshot
}

func (c *entryCache) decode(b []byte) ([]assess.EntrySnapshot, error) {
	c.mu.Lock()
	e, ok := c.copies[string(b)] // no copy of b made for the lookup
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	return c.add(b)
}

func (c *entryCache) decodeString(s string) ([]assess.EntrySnapshot, error) {
	c.mu.Lock()
	e, ok := c.copies[s]
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	return c.add([]byte(s))
}

func (c *entryCache) add(b []byte) ([]assess.EntrySnapshot, error) {
	var e []assess.EntrySnapshot
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	e = slices.Clip(e)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.copies == nil {
		c.copies = map[string][]assess.EntrySnapshot{}
	}
	if len(c.copies) >= maxCachedCopies {
		for k := range c.copies { // evict one, any
			delete(c.copies, k)
			break
		}
	}
	c.copies[string(b)] = e
	return e, nil
}

// entriesValue scans assessments.entries through the cache.
type entriesValue struct {
	c *entryCache
	v *[]assess.EntrySnapshot
}

func (s entriesValue) Scan(src any) error {
	var err error
	switch t := src.(type) {
	case string:
		*s.v, err = s.c.decodeString(t)
	case []byte:
		*s.v, err = s.c.decode(t)
	default:
		err = fmt.Errorf("cannot scan %T as catalogue entries", src)
	}
	return err
}
