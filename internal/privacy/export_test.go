package privacy

import (
	"bufio"
	"context"
	"io"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ExportSectionTables lists the table each export section covers.
func ExportSectionTables() map[string]string {
	out := map[string]string{}
	for _, s := range postgres.ExportSections() {
		out[s.Table] = s.Name
	}
	return out
}

// SetAfterLock makes every pass of r call fn once it holds the lock.
func SetAfterLock(r *Retention, fn func()) { r.o.afterLock = fn }

// WriteExportDocument writes userID's export document from tx, as
// WriteExport does once it has audited the export and begun the snapshot.
func WriteExportDocument(ctx context.Context, s *Service, tx postgres.Querier, w io.Writer, userID uuid.UUID, progress func(string, int64)) error {
	bw := bufio.NewWriter(w)
	if err := s.writeDocument(ctx, tx, bw, userID, wholeAccount, progress); err != nil {
		return err
	}
	return bw.Flush()
}
