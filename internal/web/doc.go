// Package web serves the signed-in pages that are not part of the account
// itself. Today that is /tasks/{id}: the page the MCP search and fetch tools
// cite (url = TASKBRIDGE_PUBLIC_URL/tasks/<id>), so a user who follows a
// citation in a host lands on the task.
//
// The task is read in the signed-in user's own transaction (InUserTx), so
// row-level security decides what exists: another user's task id gives the
// same 404 as an id that never existed.
package web
