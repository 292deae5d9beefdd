// Package metrics exposes taskbridge's Prometheus metrics (L6) from a
// registry owned by the process (no global default registry), served on a
// listener of its own that the public router never reaches.
//
// No label ever carries a user or client identifier (D10): labels are route
// patterns, tool names, outcomes and reasons from small fixed sets, and
// every value passes through label(), which folds anything unexpected into
// "other" so that a caller cannot create series at will.
package metrics
