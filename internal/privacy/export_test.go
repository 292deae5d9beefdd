package privacy

// ExportSectionTables lists the table each export section covers.
func ExportSectionTables() map[string]string {
	out := map[string]string{}
	for _, s := range exportSections() {
		out[s.table] = s.name
	}
	return out
}

// SetAfterLock makes every pass of r call fn once it holds the lock.
func SetAfterLock(r *Retention, fn func()) { r.o.afterLock = fn }
