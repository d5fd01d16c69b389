package s3store

// SetPageSize sets the MaxKeys of each listing page, so tests can cover
// pagination with a handful of objects.
func SetPageSize(s *Store, n int32) { s.pageSize = n }
