package auditweb

import "strings"

// actionLabels are the audit log's actions as a person reads them. The log
// and its API keep the keys, which the action filter takes ("member.add",
// or "member." for every action of members).
var actionLabels = map[string]string{
	"assess.create":            "Assessment started",
	"assess.decision":          "Addressable decision saved",
	"assess.delete":            "Assessment deleted",
	"assess.finalise":          "Assessment signed off",
	"assess.profile":           "Organisation profile changed",
	"assess.response":          "Assessment answer saved",
	"assess.review":            "Category reviewed",
	"assess.review_lapsed":     "Category review lapsed",
	"assess.submit":            "Assessment submitted for review",
	"audit.export":             "Audit log exported",
	"audit.read":               "Audit log read",
	"audit.verify":             "Audit log verified",
	"audit.verify.start":       "Audit log verification started",
	"audit.key.add":            "Checkpoint key added",
	"audit.key.rotate":         "Checkpoint key replaced",
	"auth.csrf_refused":        "Request refused: form token missing",
	"auth.forbidden":           "Access refused",
	"auth.locked":              "Account locked after failed sign-ins",
	"auth.login":               "Signed in",
	"auth.login_failed":        "Sign-in failed",
	"auth.logout":              "Signed out",
	"auth.throttled":           "Sign-in slowed down",
	"auth.token_refused":       "API token refused",
	"emergency.access":         "Emergency access used",
	"emergency.end":            "Emergency access ended",
	"emergency.read":           "Emergency access record read",
	"emergency.refused":        "Emergency access refused",
	"emergency.review":         "Emergency access reviewed",
	"emergency.start":          "Emergency access started",
	"evidence.download":        "Evidence downloaded",
	"evidence.link":            "Evidence link added",
	"evidence.retire":          "Evidence retired",
	"evidence.tamper_detected": "Evidence file failed its integrity check",
	"evidence.upload":          "Evidence uploaded",
	"evidence.version":         "New evidence version uploaded",
	"member.add":               "Member added",
	"member.invite":            "Member invited",
	"member.invite_accepted":   "Invitation accepted",
	"member.invite_cancelled":  "Invitation cancelled",
	"member.invite_declined":   "Invitation declined",
	"member.remove":            "Member removed",
	"member.role":              "Member's role changed",
	"mfa.enrol":                "Two-step sign-in set up",
	"mfa.recovery_regenerate":  "New recovery codes made",
	"mfa.recovery_used":        "Recovery code used",
	"mfa.remove":               "Two-step sign-in removed",
	"mfa.reset":                "Two-step sign-in reset",
	"mfa.verify":               "Second step passed",
	"mfa.verify_failed":        "Second step failed",
	"org.create":               "Organisation created",
	"org.security":             "Security settings changed",
	"org.time_zone":            "Time zone changed",
	"passkey.add":              "Passkey added",
	"passkey.remove":           "Passkey removed",
	"passkey.rename":           "Passkey renamed",
	"passkey.use":              "Signed in with a passkey",
	"session.end":              "Session ended",
	"session.end_all":          "Every session ended",
	"session.rotate":           "Session renewed",
	"session.start":            "Session started",
	"setting.set":              "Deployment setting changed",
	"sso.configure":            "Single sign-on configured",
	"sso.link":                 "Single sign-on account linked",
	"sso.refused":              "Single sign-on refused",
	"sso.unlink":               "Single sign-on account unlinked",
	"token.create":             "API token created",
	"token.revoke":             "API token revoked",
	"token.use":                "API token used",
	"user.create":              "Account created",
	"user.disable":             "Account disabled",
	"user.enable":              "Account enabled",
	"user.invite":              "Account invitation sent",
	"user.invite_accept":       "Account invitation accepted",
	"user.password":            "Password changed",

	// The risk analysis's inventory.
	"risk.asset.create":         "Asset added to the inventory",
	"risk.asset.delete":         "Asset deleted from the inventory",
	"risk.asset.import":         "Assets imported into the inventory",
	"risk.asset.update":         "Asset changed",
	"risk.flow.create":          "Data flow added",
	"risk.flow.delete":          "Data flow deleted",
	"risk.flow.update":          "Data flow changed",
	"risk.threat.create":        "Own threat added",
	"risk.vulnerability.create": "Own vulnerability added",
	"risk.scale.create":         "Rating scale added",
	"risk.scale.set":            "Rating scale changed",
	"risk.risk.create":          "Risk added to the register",
	"risk.risk.update":          "Risk changed",
	"risk.risk.rerate":          "Risks re-rated on a new scale",
	"risk.task.create":          "Plan task added",
	"risk.task.update":          "Plan task changed",
	"risk.analysis.create":      "Risk analysis started",
	"risk.analysis.finalise":    "Risk analysis signed off",
	"risk.analysis.delete":      "Risk analysis deleted",
}

// actionLabel is action as a person reads it, "" where it has no label
// (the page then shows the key).
func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	// Refusals of member and MFA actions share their start.
	base, _, _ := strings.Cut(action, "_refused")
	if l, ok := actionLabels[base]; ok && base != action {
		return l + ": refused"
	}
	return ""
}
