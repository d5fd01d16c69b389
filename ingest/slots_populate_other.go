//go:build unix && !linux

package ingest

// mapPopulate is 0 where mmap has no MAP_POPULATE, so pages fault in as
// the slots are first used.
const mapPopulate = 0
