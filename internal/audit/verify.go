package audit

import (
	"errors"
	"fmt"
	"iter"
	"sort"
)

// Damage names a kind of damage Verify finds.
type Damage string

// The kinds of damage Verify tells apart.
const (
	ChangedEntry      Damage = "changed entry"
	RemovedEntry      Damage = "removed entry"
	ReorderedEntries  Damage = "reordered entries"
	TruncatedTail     Damage = "truncated tail"
	AlteredCheckpoint Damage = "altered checkpoint"
	UnknownKey        Damage = "unknown key"
	// AlteredTree: the Merkle tree's stored hashes, from which proofs are
	// served, disagree with the tree the entries make.
	AlteredTree Damage = "altered tree"
)

// Problem is the first damage Verify found.
type Problem struct {
	Seq    int64 // the first bad sequence number
	Kind   Damage
	Detail string
}

func (p *Problem) Error() string {
	if p.Kind.untrustedKeys() {
		// No entry is at fault: the keys to check the log with are.
		return "audit keys: " + string(p.Kind) + " (" + p.Detail + ")"
	}
	s := fmt.Sprintf("first bad sequence %d: %s", p.Seq, p.Kind)
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// Report is what Verify found.
type Report struct {
	Entries     int64       // entries replayed
	Root        Hash        // Merkle tree hash of the entries replayed
	Checkpoints int         // checkpoints whose signature and root were checked
	Latest      *Checkpoint // the checkpoint of the largest tree size, if any
	Problem     *Problem    // nil when the log is intact
}

// VerifyOptions are the trusted keys and the checkpoints to hold the log to.
type VerifyOptions struct {
	// Keys are the public keys checkpoints may be signed with.
	Keys Keys
	// Checkpoints are the checkpoints stored beside the log.
	Checkpoints []Checkpoint
	// External are checkpoints kept elsewhere (exported files), which catch a
	// tail cut off together with the checkpoints stored beside it.
	External []Checkpoint
	// Progress, when set, is called now and then with the entries replayed.
	Progress func(done int64)
}

type pendingCheckpoint struct {
	Checkpoint
	external bool
}

func (c *pendingCheckpoint) name() string {
	if c.external {
		return fmt.Sprintf("exported checkpoint of size %d", c.TreeSize)
	}
	return fmt.Sprintf("checkpoint of size %d", c.TreeSize)
}

// Verify replays records, which must come in sequence order starting at 1: it
// recomputes every leaf hash, follows the chain of previous hashes, rebuilds
// the Merkle tree and holds each checkpoint's signature and root to it. It
// reports the first damage found in the Report; an error means the records
// could not be read.
func Verify(records iter.Seq2[Record, error], opts VerifyOptions) (Report, error) {
	var rep Report
	cps := make([]pendingCheckpoint, 0, len(opts.Checkpoints)+len(opts.External))
	for _, c := range opts.Checkpoints {
		cps = append(cps, pendingCheckpoint{Checkpoint: c})
	}
	for _, c := range opts.External {
		cps = append(cps, pendingCheckpoint{Checkpoint: c, external: true})
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].TreeSize < cps[j].TreeSize })
	for i := range cps {
		if !cps[i].external && (rep.Latest == nil || cps[i].TreeSize >= rep.Latest.TreeSize) {
			rep.Latest = &cps[i].Checkpoint
		}
	}

	var (
		tree     Tree
		prev     Hash
		lastGood int64 // size of the last checkpoint that matched
		// pending is set when an intact entry does not follow its
		// predecessor: the log is then read on to find whether the entry it
		// names as previous is elsewhere (reordered) or gone (removed).
		pending *Problem
		want    Hash
		scratch []byte // reused by every rehash
	)
	// checkTo checks the checkpoints of tree size n, once n entries are in.
	checkTo := func(n int64) *Problem {
		for len(cps) > 0 && cps[0].TreeSize <= n {
			c := &cps[0]
			if err := opts.Keys.Check(&c.Checkpoint); err != nil {
				kind := AlteredCheckpoint
				if errors.Is(err, ErrUnknownKey) {
					kind = UnknownKey
				}
				return &Problem{Seq: c.TreeSize, Kind: kind, Detail: c.name() + ": " + errors.Unwrap(err).Error() + " " + c.KeyID}
			}
			if c.Root != tree.Root() {
				return &Problem{Seq: lastGood + 1, Kind: ChangedEntry,
					Detail: fmt.Sprintf("entries %d to %d do not hash to the root signed in the %s", lastGood+1, c.TreeSize, c.name())}
			}
			lastGood = c.TreeSize
			rep.Checkpoints++
			cps = cps[1:]
		}
		return nil
	}
	if p := checkTo(0); p != nil {
		rep.Problem = p
		return rep, nil
	}
	for r, err := range records {
		if err != nil {
			return rep, err
		}
		if pending != nil {
			if r.Hash == want {
				pending.Kind = ReorderedEntries
				pending.Detail = fmt.Sprintf("entry %d belongs before entry %d", r.Seq, pending.Seq)
				break
			}
			continue
		}
		next := tree.Size() + 1
		switch {
		case r.Seq > next:
			rep.Problem = &Problem{Seq: next, Kind: RemovedEntry, Detail: fmt.Sprintf("the log goes from %d to %d", next-1, r.Seq)}
		case r.Seq < next:
			rep.Problem = &Problem{Seq: r.Seq, Kind: ReorderedEntries, Detail: "sequence numbers out of order"}
		}
		if rep.Problem != nil {
			return rep, nil
		}
		var h Hash
		h, scratch, err = r.rehash(scratch)
		if err != nil || h != r.Hash {
			rep.Problem = &Problem{Seq: r.Seq, Kind: ChangedEntry, Detail: "its content does not match its hash"}
			return rep, nil
		}
		if r.PrevHash != prev {
			pending = &Problem{Seq: r.Seq, Kind: RemovedEntry, Detail: "the entry it follows is missing"}
			want = r.PrevHash
			continue
		}
		tree.Add(h)
		prev = h
		rep.Entries = tree.Size()
		if p := checkTo(tree.Size()); p != nil {
			rep.Problem = p
			return rep, nil
		}
		if opts.Progress != nil && rep.Entries%4096 == 0 {
			opts.Progress(rep.Entries)
		}
	}
	if pending != nil {
		rep.Problem = pending
		return rep, nil
	}
	rep.Root = tree.Root()
	if opts.Progress != nil {
		opts.Progress(rep.Entries)
	}
	// Checkpoints beyond the end: the log once held more than it does now.
	if len(cps) > 0 {
		c := &cps[0]
		if err := opts.Keys.Check(&c.Checkpoint); err != nil {
			kind := AlteredCheckpoint
			if errors.Is(err, ErrUnknownKey) {
				kind = UnknownKey
			}
			rep.Problem = &Problem{Seq: c.TreeSize, Kind: kind, Detail: c.name() + ": " + errors.Unwrap(err).Error()}
			return rep, nil
		}
		rep.Problem = &Problem{Seq: tree.Size() + 1, Kind: TruncatedTail,
			Detail: fmt.Sprintf("the %s says the log held %d entries; it holds %d", c.name(), c.TreeSize, tree.Size())}
	}
	return rep, nil
}
