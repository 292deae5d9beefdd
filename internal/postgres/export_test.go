package postgres

// ListQuery exposes the list statement to the plan test.
var ListQuery = listQuery
