package store

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgConns keeps every connection the PostgreSQL pools have open, with when
// each was made, so that the ones leading to a server that stopped
// answering can be closed.
//
// A server whose process hangs, or whose machine drops off the network,
// leaves its connections open; a statement waiting on one returns only when
// its context ends, and many have no deadline of their own (a page read
// waits for its request, a scheduled job for an hour). database/sql closes
// only idle connections. When the writer's transaction runs out of time on
// such a server, the store closes the connections made before that
// transaction began: the statements waiting on them fail at once instead of
// holding the pool's connections, and the jobs' and requests' goroutines,
// for as long as their callers allow.
type pgConns struct {
	mu    sync.Mutex
	conns map[*pgConn]time.Time // when each was made
}

func newPGConns() *pgConns {
	return &pgConns{conns: map[*pgConn]time.Time{}}
}

// dial wraps a pgx dial function so that the connections it makes are kept.
func (s *pgConns) dial(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		pc := &pgConn{Conn: c, set: s}
		s.mu.Lock()
		s.conns[pc] = time.Now()
		s.mu.Unlock()
		return pc, nil
	}
}

// closeMadeBefore closes the connections made before t, in use or not, and
// returns how many it closed. Their pools find them broken and discard them.
func (s *pgConns) closeMadeBefore(t time.Time) int {
	var old []*pgConn
	s.mu.Lock()
	for c, made := range s.conns {
		if made.Before(t) {
			old = append(old, c)
		}
	}
	s.mu.Unlock()
	for _, c := range old {
		c.Close()
	}
	return len(old)
}

// pgConn is a connection kept in a pgConns until it is closed.
type pgConn struct {
	net.Conn
	set  *pgConns
	once sync.Once
}

func (c *pgConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}
