// Package identity holds who may act in Safeguard and where: organisations
// (the tenants), and, as the identity capability grows, users, roles, sessions
// and emergency access.
//
// It implements in Safeguard itself the technical safeguards of 45 CFR
// 164.312(a)(1) access control and 164.312(d) person or entity authentication,
// and the information access management of 164.308(a)(4).
package identity
