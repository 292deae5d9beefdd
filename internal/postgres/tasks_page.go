package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/task"
)

// BatchSender sends several statements in one round trip: pgx.Tx and
// *PipelineTx (whose first batch carries the transaction's opening).
type BatchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var (
	_ BatchSender = pgx.Tx(nil)
	_ BatchSender = (*PipelineTx)(nil)
)

// TaskPage is one page of a list with the user's totals.
type TaskPage struct {
	Tasks  []task.Task
	More   bool // more tasks follow the page
	Counts TaskCounts
}

// ListWithCounts is List and Counts in one round trip: a list call's page
// and the board's totals, sent in one pipeline (in an InUserPipeline
// transaction, the same one as BEGIN and the user setting), where calling
// the two one after the other costs a round trip each.
func (s *Tasks) ListWithCounts(ctx context.Context, tx BatchSender, f task.Filter, after *task.Position) (TaskPage, error) {
	sql, args, limit := listQuery(f, after)
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue(countsSQL)
	br := tx.SendBatch(ctx, b)
	defer br.Close() // after an error: the first one is already reported
	rows, err := br.Query()
	if err != nil {
		return TaskPage{}, fmt.Errorf("list tasks: %w", err)
	}
	var p TaskPage
	if p.Tasks, p.More, err = s.readList(rows, limit); err != nil {
		return TaskPage{}, err
	}
	c := &p.Counts
	if err := br.QueryRow().Scan(&c.Open, &c.Done, &c.Trash); err != nil {
		return TaskPage{}, fmt.Errorf("count tasks: %w", err)
	}
	if err := br.Close(); err != nil {
		return TaskPage{}, fmt.Errorf("list tasks: %w", err)
	}
	return p, nil
}
