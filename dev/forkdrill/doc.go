// Package forkdrill holds no code: its test applies README's "Fork it"
// steps (a scope, a user-owned table, a tool) to a clean copy of the
// repository, runs the security tests that must cover what they add, and
// checks that each of those tests fails when the copy leaves out the
// safeguard it guards. So the README's steps stay true, and the tests'
// claim to cover every table and every tool is proven on a fork.
package forkdrill
