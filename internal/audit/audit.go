// Package audit defines what Safeguard records about every change and every
// sensitive read, for the audit controls of 45 CFR 164.312(b) and the integrity
// standard of 164.312(c)(1), applied to Safeguard itself.
//
// An Entry is written by the store in the same transaction as the change it
// describes, so a change without its entry cannot commit. The log table refuses
// UPDATE and DELETE at the database level.
package audit

import "time"

// Entry is one line of the audit log.
type Entry struct {
	Seq       int64
	At        time.Time
	OrgID     int64  // 0 for deployment-wide events
	Actor     string // who acted: "user:42", "cli:root", "system"
	Action    string // dotted verb: "org.create", "keys.rotate"
	Object    string // what was acted on: "org:riverside"
	Source    string // source address, when a request carried one
	RequestID string
	Summary   string // what changed, never secrets
}
