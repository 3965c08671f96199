// Package safeguard is the root of the Safeguard module. It holds no code: the
// binary is cmd/safeguard and everything else lives under internal/. Its test
// keeps the dependency direction of the architecture.
package safeguard
