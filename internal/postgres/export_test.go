package postgres

// ListQuery exposes the list statement to the plan test.
var ListQuery = listQuery

// OpenAdjusted is Open with a test's change to the pool configuration.
var OpenAdjusted = open
